"""Read native tinman channels with numpy: zero-copy, read-only, checksummed.

A channel file (``<dir>/<channel>.tinman``) is memory-mapped read-only and each
record's array is a ``np.frombuffer`` view of the mapping: no bytes are copied,
``arr.flags.writeable`` is False and ``arr.base`` is the mmap. Nothing but the
standard library and numpy is needed.

    import tinman_numpy
    for t, arr in tinman_numpy.read_channel("logs", "sensor_data"):
        print(t, arr.mean())

Checks, as the C++ reader makes them (format version 1, see the README):
- the file header's magic, version, required flags and CRC32C;
- every record header's CRC32C;
- the payload CRC32C of payloads up to ``verify_max_bytes`` (4096, as in C++),
  and of the last record (one no complete record follows) whatever its size;
  other large payloads only with ``verify_all=True`` (reading stays O(1) otherwise);
- that the channel is a regular file (a symlink or FIFO in its place is refused);
- the array data's alignment (``require_aligned``: a misaligned record, which only
  files from other writers can hold, raises instead of yielding an unaligned view).
Iteration stops before the first torn or corrupt record; ``Channel.status`` then
says why and where (``strict=True`` raises ``ValueError`` instead).

Struct channels (C++ ``StructCodec<T>``, whose header holds ``struct=<JSON>``) are
read as numpy structured arrays with the stored field names, formats and offsets:
``arr["ax"]``, ``arr.dtype.names``.
"""
import errno
import json
import mmap
import os
import stat
import struct

import numpy as np

__all__ = ["Channel", "ChannelStatus", "channel_names", "crc32c", "open_channel", "read_channel"]

MAGIC = b"\x89TINMAN\n"
VERSION = 1
SUFFIX = ".tinman"
FILE_HEADER = struct.Struct("<8sHHIII")   # magic, version, flags, records_offset, codec_size, header_crc
RECORD_HEADER = struct.Struct("<qQIIII")  # timestamp, payload_size, padding, payload_crc, flags, header_crc
RECORD_FLAG_SKIP = 1
DEFAULT_VERIFY_MAX_BYTES = 4096
MAX_CODEC_SIZE = 1 << 20                  # longest codec descriptor (as in C++)


def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


_NP_TABLE = np.array(_TABLE, dtype=np.uint32)
_VECTOR_MIN_BYTES = 1 << 14


def _crc_bytes(reg, data):
    """Raw (not inverted) CRC register update over ``data``, a byte at a time."""
    table = _TABLE
    for b in data:
        reg = table[(reg ^ b) & 0xFF] ^ (reg >> 8)
    return reg


def _run_lanes(regs, columns):
    """Advances the registers of many lanes at once: lane j consumes row j of ``columns`` (k x L bytes)."""
    t = _NP_TABLE
    for i in range(columns.shape[1]):
        regs = t[(regs ^ columns[:, i]) & 0xFF] ^ (regs >> np.uint32(8))
    return regs


_shift_tables = {}


def _shift_table(length):
    """Tables for Z(x) = the register after ``length`` zero bytes from register x (linear in x), by byte of x."""
    if length not in _shift_tables:
        images = _run_lanes(np.uint32(1) << np.arange(32, dtype=np.uint32), np.zeros((32, length), np.uint8))
        values = np.arange(256, dtype=np.uint32)
        tables = np.zeros((4, 256), dtype=np.uint32)
        for q in range(4):
            for bit in range(8):
                tables[q] ^= np.where((values >> np.uint32(bit)) & np.uint32(1), images[8 * q + bit], np.uint32(0))
        _shift_tables[length] = [[int(v) for v in row] for row in tables]
    return _shift_tables[length]


def crc32c(data, crc=0):
    """CRC32C (Castagnoli, reflected 0x82F63B78) of a bytes-like object, continuing from ``crc``.

    Large inputs are split into lanes whose CRCs numpy computes side by side; the
    lane results are combined with the linear map "append L zero bytes".
    """
    view = memoryview(data).cast("B")
    reg = crc ^ 0xFFFFFFFF
    n = len(view)
    if n < _VECTOR_MIN_BYTES:
        return _crc_bytes(reg, view) ^ 0xFFFFFFFF
    lanes = max(256, min(16384, n >> 12))
    length = n // lanes
    rows = np.frombuffer(view, dtype=np.uint8, count=lanes * length).reshape(lanes, length)
    regs = np.zeros(lanes, dtype=np.uint32)
    regs[0] = reg
    regs = [int(r) for r in _run_lanes(regs, rows)]
    t0, t1, t2, t3 = _shift_table(length)
    reg = regs[0]
    for r in regs[1:]:  # state after lane j = Z(state after lane j-1) ^ CRC register of lane j alone
        reg = t0[reg & 0xFF] ^ t1[(reg >> 8) & 0xFF] ^ t2[(reg >> 16) & 0xFF] ^ t3[reg >> 24] ^ r
    return _crc_bytes(reg, view[lanes * length:]) ^ 0xFFFFFFFF


class ChannelStatus:
    """Where reading stopped: ``stop`` is None (not yet), "end" (clean), "torn" or "corrupt"."""

    def __init__(self):
        self.records = 0
        self.intact_end = 0
        self.stop = None
        self.reason = ""

    @property
    def clean(self):
        return self.stop == "end"

    def __repr__(self):
        return "ChannelStatus(records=%d, intact_end=%d, stop=%r, reason=%r)" % (
            self.records, self.intact_end, self.stop, self.reason)


class Channel:
    """A tinman channel file, mapped read-only. Iterate it for ``(timestamp, ndarray)``."""

    def __init__(self, path, verify_max_bytes=DEFAULT_VERIFY_MAX_BYTES, verify_all=False, require_aligned=True,
                 strict=False):
        self.path = os.fspath(path)
        self.verify_max_bytes = float("inf") if verify_all else verify_max_bytes
        self.require_aligned = require_aligned
        self.strict = strict
        self.status = ChannelStatus()
        # Never through a symlink, never waiting on a FIFO: only a regular file is a channel.
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError as e:
            if e.errno == errno.ELOOP:
                raise ValueError("%s: not a regular file (a symlink; refused)" % self.path) from None
            raise
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise ValueError("%s: not a regular file" % self.path)
            size = st.st_size
            if size < FILE_HEADER.size + 40:
                raise ValueError("%s: not a tinman channel (file of %d bytes has no header)" % (self.path, size))
            self._map = mmap.mmap(f.fileno(), size, access=mmap.ACCESS_READ)
        self._parse_header()

    def _fail(self, reason):
        raise ValueError("%s: %s" % (self.path, reason))

    def _parse_header(self):
        m = self._map
        magic, version, flags, records_offset, codec_size, header_crc = FILE_HEADER.unpack_from(m, 0)
        if magic != MAGIC:
            self._fail("not a tinman channel (bad magic)")
        if version != VERSION:
            self._fail("unsupported format version %d" % version)
        if codec_size > MAX_CODEC_SIZE or 64 + codec_size > len(m):
            self._fail("codec descriptor size %d is out of range" % codec_size)
        fixed = bytearray(m[:64])
        fixed[20:24] = b"\0\0\0\0"
        if crc32c(m[64:64 + codec_size], crc32c(fixed)) != header_crc:
            self._fail("file header checksum mismatch")
        if flags & 0xFF00:
            self._fail("file requires features this reader lacks (flags %d)" % flags)
        if records_offset < 64 + codec_size or records_offset % 64 or records_offset > len(m):
            self._fail("records offset %d is out of range" % records_offset)
        lines = bytes(m[64:64 + codec_size]).decode("utf-8").split("\n")
        if len(lines) < 2 or lines[-1] != "":
            self._fail("malformed codec descriptor")
        self.codec = lines[0]
        self.codec_params = dict(line.split("=", 1) for line in lines[1:-1])
        # A struct channel: its records' "|V<itemsize>" arrays are read with the stored field list.
        self.struct_dtype = None
        if self.codec == "ndarray" and "struct" in self.codec_params:
            try:
                self.struct_dtype = np.dtype(json.loads(self.codec_params["struct"]))
            except (ValueError, TypeError, KeyError) as e:
                self._fail("malformed struct layout: %s" % e)
        self.records_offset = records_offset
        self.status.intact_end = records_offset

    def close(self):
        """Releases the mapping once no array points into it (until then the arrays keep it alive)."""
        try:
            self._map.close()
        except BufferError:
            pass  # arrays still view it: it is unmapped when the last of them is gone

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _stop(self, why, reason, pos):
        self.status.stop = why
        if reason:
            self.status.reason = "%s at offset %d" % (reason, pos)
            if self.strict:
                raise ValueError("%s: %s" % (self.path, self.status.reason))

    @staticmethod
    def _complete_record_at(view, pos):
        """True when a record header with a valid checksum, whose payload fits in the file, starts at ``pos``."""
        if len(view) - pos < RECORD_HEADER.size:
            return False
        header = view[pos:pos + RECORD_HEADER.size]
        _, size, padding, _, _, header_crc = RECORD_HEADER.unpack(header)
        after = len(view) - pos - RECORD_HEADER.size
        return crc32c(header[:28]) == header_crc and padding <= after and size <= after - padding

    def records(self):
        """Yields ``(timestamp, record offset, payload offset, payload memoryview)`` per intact record."""
        m = self._map
        view = memoryview(m)
        pos = self.records_offset
        end = len(m)
        while True:
            if pos == end:
                return self._stop("end", "", pos)
            if end - pos < RECORD_HEADER.size:
                return self._stop("torn", "incomplete record header (%d of 32 bytes)" % (end - pos), pos)
            header = view[pos:pos + RECORD_HEADER.size]
            ts, size, padding, payload_crc, flags, header_crc = RECORD_HEADER.unpack(header)
            if crc32c(header[:28]) != header_crc:
                if header.tobytes() == bytes(32):
                    return self._stop("torn", "unwritten (zero) bytes where a record header should be", pos)
                return self._stop("corrupt", "record header checksum mismatch", pos)
            if flags & ~RECORD_FLAG_SKIP:
                return self._stop("corrupt", "unknown record flags %d" % flags, pos)
            after = end - pos - RECORD_HEADER.size
            if padding > after or size > after - padding:
                return self._stop("torn", "record of %d payload bytes extends past the end of the file" % size, pos)
            start = pos + RECORD_HEADER.size + padding
            payload = view[start:start + size]
            # The last record (none complete follows) is verified whole: a crash damages it.
            if ((size <= self.verify_max_bytes or not self._complete_record_at(view, start + size))
                    and crc32c(payload) != payload_crc):
                return self._stop("corrupt", "payload checksum mismatch", pos)
            record_offset = pos
            pos = start + size
            self.status.intact_end = pos
            if flags & RECORD_FLAG_SKIP:
                continue
            self.status.records += 1
            yield ts, record_offset, start, payload

    def __iter__(self):
        if self.codec != "ndarray":
            raise ValueError("%s: codec %r is not ndarray; use records() for raw payloads" % (self.path, self.codec))
        index = 0
        for ts, offset, start, payload in self.records():
            try:
                arr = self._decode(payload, start)
            except ValueError as e:
                raise ValueError("cannot decode record %d (offset %d) of %s: %s" % (index, offset, self.path, e))
            index += 1
            yield ts, arr

    def _decode(self, payload, start):
        size = len(payload)
        if size < 8:
            raise ValueError("payload of %d bytes is too short" % size)
        (dlen,) = struct.unpack_from("<I", payload, 0)
        if dlen == 0 or dlen > 32 or size < 8 + dlen:
            raise ValueError("dtype length %d is out of range" % dlen)
        try:
            dtype = np.dtype(bytes(payload[4:4 + dlen]).decode("ascii"))
        except (TypeError, UnicodeDecodeError) as e:
            raise ValueError("malformed dtype: %s" % e)
        if dtype.hasobject:
            raise ValueError("object arrays cannot be read")
        if self.struct_dtype is not None:
            if dtype.str != "|V%d" % self.struct_dtype.itemsize:
                raise ValueError("dtype %s is not the channel's struct dtype |V%d" % (dtype.str, self.struct_dtype.itemsize))
            dtype = self.struct_dtype
        (ndim,) = struct.unpack_from("<I", payload, 4 + dlen)
        offset = 8 + dlen + 8 * ndim
        if ndim > 64 or size < offset:
            raise ValueError("ndim %d is out of range" % ndim)
        shape = struct.unpack_from("<%dQ" % ndim, payload, 8 + dlen)
        count = 1
        for d in shape:
            count *= d
        if (size - offset) != count * dtype.itemsize:
            raise ValueError("array data is %d bytes, dtype %s and shape %s need %d"
                             % (size - offset, dtype.str, shape, count * dtype.itemsize))
        # A view of the mmap itself (base is the mmap object): no copy, read-only.
        arr = np.frombuffer(self._map, dtype=dtype, count=count, offset=start + offset).reshape(shape)
        if self.require_aligned and count and not arr.flags.aligned:
            raise ValueError("array data at file offset %d is not aligned for %s; "
                             "open with require_aligned=False for an unaligned view" % (start + offset, dtype.str))
        return arr


def channel_names(log_dir):
    """The channels of a log directory, sorted."""
    return sorted(f[:-len(SUFFIX)] for f in os.listdir(log_dir)
                  if f.endswith(SUFFIX) and len(f) > len(SUFFIX) and not f.startswith("."))


def open_channel(log_dir, name, **options):
    """Opens channel ``name`` of ``log_dir``; options as for ``Channel``."""
    if "/" in name or name.startswith(".") or ".." in name or not name:
        raise ValueError("invalid channel name %r" % name)
    return Channel(os.path.join(log_dir, name + SUFFIX), **options)


def read_channel(log_dir, name, **options):
    """Yields ``(timestamp, read-only ndarray)`` for each intact record of a channel."""
    yield from open_channel(log_dir, name, **options)
