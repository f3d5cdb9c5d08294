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


# A whole channel as one array (docs/format.md, "Uniform channels").

INDEX_SUFFIX = ".tinman-index"
INDEX_MAGIC = b"\x89TINDEX\n"
INDEX_HEADER = struct.Struct("<8sHHIQ")     # magic, version, entry_size, data_header_crc, records_offset
INDEX_ENTRY = struct.Struct("<qqQII")       # timestamp, max_timestamp, offset, record_crc, entry_crc
UNIFORM_CLAIM = struct.Struct("<QQIIII")    # at 24: records, first_body, stride, payload_size, head_size, head_crc


def stacked(log_dir, name, check="claim"):
    """A whole channel as ``(timestamps, values)``: ``values`` one read-only ndarray of
    shape ``(N,) + record shape`` whose strides step over the mmap from record to
    record (no copy), ``timestamps`` the N timestamps, a strided view of the time
    index file (or of the record headers, when they lie at one stride).

    ``check``: "claim" (default) checks records 0 and N-1 against the writer's
    uniform-layout claim in the time index, O(1); without a usable claim every record
    header and head is checked once (O(N), no payload read); "headers" always does
    that; "payloads" also verifies every payload's checksum. Raises ``ValueError``
    naming the first record whose shape, dtype or position breaks the layout, or
    damage; nothing is ever copied (``np.stack`` over ``read_channel`` copies).
    """
    if check not in ("claim", "headers", "payloads"):
        raise ValueError("check must be 'claim', 'headers' or 'payloads'")
    ch = open_channel(log_dir, name)
    if ch.codec != "ndarray":
        ch._fail("codec %r is not ndarray" % ch.codec)
    entries = _stacked_index(ch, os.path.join(os.fspath(log_dir), name + INDEX_SUFFIX))
    return _stacked_layout(ch, entries, check)


def _stacked_record_at(ch, pos, verify_payload=False):
    """``(timestamp, header_crc, payload start, payload size, record end)`` of the intact record at ``pos``, else None."""
    m = ch._map
    if pos < ch.records_offset or len(m) - pos < RECORD_HEADER.size:
        return None
    header = m[pos:pos + RECORD_HEADER.size]
    ts, size, padding, payload_crc, flags, header_crc = RECORD_HEADER.unpack(header)
    after = len(m) - pos - RECORD_HEADER.size
    if crc32c(header[:28]) != header_crc or flags != 0 or padding > after or size > after - padding:
        return None
    start = pos + RECORD_HEADER.size + padding
    if verify_payload and crc32c(m[start:start + size]) != payload_crc:
        return None
    return ts, header_crc, start, size, start + size


def _stacked_index(ch, path):
    """The time index file's mmap and entry count when it is valid and covers every record, else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size < 64:
            return None
        im = mmap.mmap(f.fileno(), st.st_size, access=mmap.ACCESS_READ)
    magic, version, entry_size, data_header_crc, records_offset = INDEX_HEADER.unpack_from(im, 0)
    (data_crc,) = struct.unpack_from("<I", ch._map, 20)
    (header_crc,) = struct.unpack_from("<I", im, 60)
    if (magic != INDEX_MAGIC or version != 1 or entry_size != 32 or data_header_crc != data_crc
            or records_offset != ch.records_offset or crc32c(im[:60]) != header_crc):
        return None
    n = (len(im) - 64) // 32

    def entry(i):  # the entry and its record, both checked, or None
        b = im[64 + 32 * i:96 + 32 * i]
        ts, _, offset, record_crc, entry_crc = INDEX_ENTRY.unpack(b)
        if crc32c(b[:28] + struct.pack("<Q", i)) != entry_crc:
            return None
        r = _stacked_record_at(ch, offset)
        return r if r and r[0] == ts and r[1] == record_crc and (i > 0 or offset == ch.records_offset) else None

    if n == 0:
        return (im, 0) if len(ch._map) == ch.records_offset else None
    first, last = entry(0), entry(n - 1)
    # The index must cover the file: its last record ends where the file does.
    if not first or not last or last[4] != len(ch._map):
        return None
    return im, n


def _stacked_array_head(ch, payload, start, index):
    try:
        return ch._decode(payload, start)
    except ValueError as e:
        raise ValueError("%s: record %d: %s" % (ch.path, index, e)) from None


def _stacked_layout(ch, entries, check):
    m = ch._map
    copy_hint = "; np.stack([a for _, a in read_channel(...)]) copies records of one shape"

    def fail(i, why):
        raise ValueError("%s: record %d is not uniform with record 0: %s%s" % (ch.path, i, why, copy_hint))

    # Record positions: from the index (entry i's offset), or by walking the headers.
    headers = []
    if entries is not None and check == "claim":
        im, n = entries

        def header_of(i):
            return INDEX_ENTRY.unpack_from(im, 64 + 32 * i)[2]
    else:
        pos = ch.records_offset
        while pos != len(m):
            r = _stacked_record_at(ch, pos, check == "payloads")
            if r is None:
                # A torn tail (incomplete last record) ends the channel; anything else is damage.
                if len(m) - pos >= RECORD_HEADER.size:
                    _, size, padding, _, _, hcrc = RECORD_HEADER.unpack_from(m, pos)
                    torn = (crc32c(m[pos:pos + 28]) == hcrc and padding + size > len(m) - pos - 32) \
                        or bytes(m[pos:pos + 32]) == bytes(32)
                else:
                    torn = True
                if torn:
                    break
                raise ValueError("%s: record %d at offset %d is damaged%s" % (ch.path, len(headers), pos, copy_hint))
            headers.append(pos)
            pos = r[4]
        n = len(headers)

        def header_of(i):
            return headers[i]

    if n == 0:
        times, values = np.empty((0,), np.int64), np.empty((0,))
        times.flags.writeable = values.flags.writeable = False
        return times, values

    def record(i):
        r = _stacked_record_at(ch, header_of(i), check == "payloads")
        if r is None:
            raise ValueError("%s: record %d is damaged%s" % (ch.path, i, copy_hint))
        return r

    _, _, start0, size0, _ = record(0)
    arr0 = _stacked_array_head(ch, m[start0:start0 + size0], start0, 0)
    head_size = size0 - arr0.nbytes
    head0 = m[start0:start0 + head_size]
    first_body = start0 + head_size

    def check_record(i, stride):
        _, _, start, size, _ = record(i)
        if size != size0 or m[start:start + head_size] != head0:
            a = _stacked_array_head(ch, m[start:start + size], start, i)
            fail(i, "dtype %s shape %s, record 0's %s %s" % (a.dtype.str, a.shape, arr0.dtype.str, arr0.shape))
        body = start + head_size
        if stride is not None and body != first_body + i * stride:
            fail(i, "its data is at offset %d, not at the stride of %d bytes from record 0's (padding is irregular)"
                 % (body, stride))
        return body

    stride = None
    checked = 1
    if entries is not None and check == "claim":
        c_records, c_first, c_stride, c_payload, c_head, c_crc = UNIFORM_CLAIM.unpack_from(entries[0], 24)
        if (c_records >= 2 and c_stride and c_payload == size0 and c_head == head_size and c_first == first_body
                and c_crc == crc32c(head0)):
            stride = c_stride
            checked = min(c_records, n)
            check_record(checked - 1, stride)
    if n >= 2 and stride is None:
        stride = check_record(1, None) - first_body
        checked = 2
    for i in range(checked, n):
        check_record(i, stride)

    shape = (n,) + arr0.shape
    strides = ((stride or arr0.nbytes or 1),) + arr0.strides
    values = np.ndarray(shape, dtype=arr0.dtype, buffer=m, offset=first_body, strides=strides)
    if arr0.dtype.kind == "b" and values.size and values.view(np.uint8).max() > 1:
        raise ValueError("%s: a bool array holds a byte other than 0 or 1" % ch.path)

    # Timestamps: every 32 bytes in the index file, or every `stride` bytes in the
    # channel file when record 0's header is on the stride too.
    if entries is not None and entries[1] == n:
        times = np.ndarray((n,), dtype="<i8", buffer=entries[0], offset=64, strides=(32,))
    elif n == 1 or header_of(1) - header_of(0) == stride:
        times = np.ndarray((n,), dtype="<i8", buffer=m, offset=header_of(0), strides=(stride or 8,))
    else:
        raise ValueError("%s: the timestamps are not at one stride in any file (no usable time index); "
                         "read them with read_channel()" % ch.path)
    return times, values
