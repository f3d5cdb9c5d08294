"""Read tinman logs with numpy: native channels (``.tinman`` + time index) and Python tinman ``.blog`` files.

    import tinman
    log = tinman.open("logs")
    for info in log.channels:
        print(info.name, info.records, info.codec, info.dtype)
    imu = log["imu"]
    t, a = imu[300]                       # random access through the time index
    window = imu.between(t0, t1)          # records of [t0, t1), as the C++ reader selects them
    data = imu.stacked()                  # (N, ...) read-only view of the mapped file, no copy
    ts = imu.timestamps()                 # int64 ns

Values are read-only numpy arrays over a read-only mmap (ndarray and struct channels), memoryviews
(bytes), str (text) or parsed JSON (json). Pure Python and numpy; pandas only for ``to_pandas()``.
"""
from ._blog import BlogChannel
from ._codecs import UnknownCodecWarning
from ._crc import BACKEND as CRC32C_BACKEND
from ._crc import crc32c, crc32c_rows
from ._format import ChecksumError, Error, FormatError, ScanStatus
from ._log import ChannelInfo, Log, open
from ._native import Channel
from ._view import RecordsView

__version__ = "0.1.0"
__all__ = ["open", "Log", "Channel", "BlogChannel", "RecordsView", "ChannelInfo", "ScanStatus", "Error",
           "FormatError", "ChecksumError", "UnknownCodecWarning", "crc32c", "crc32c_rows", "CRC32C_BACKEND"]
