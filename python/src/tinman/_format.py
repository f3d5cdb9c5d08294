"""The native channel file: header, codec descriptor, metadata, records, scan (docs/format.md)."""
import errno
import mmap
import os
import stat
import struct

import numpy as np

from ._crc import crc32c

MAGIC = b"\x89TINMAN\n"
INDEX_MAGIC = b"\x89TINDEX\n"
SUFFIX = ".tinman"
INDEX_SUFFIX = ".tinman-index"
FILE_HEADER = struct.Struct("<8sHHIIIQII")  # magic, version, flags, records_offset, codec_size, header_crc,
                                              # reserved, metadata_size, metadata_crc
RECORD_HEADER = struct.Struct("<qQIIII")     # timestamp, payload_size, padding, payload_crc, flags, header_crc
RECORD_DTYPE = np.dtype([("timestamp", "<i8"), ("payload_size", "<u8"), ("padding", "<u4"),
                         ("payload_crc", "<u4"), ("flags", "<u4"), ("header_crc", "<u4")])
ENTRY_DTYPE = np.dtype([("timestamp", "<i8"), ("max_timestamp", "<i8"), ("offset", "<u8"),
                        ("record_crc", "<u4"), ("entry_crc", "<u4")])
MAX_CODEC_SIZE = 1 << 20
MAX_METADATA_SIZE = 1 << 20
FLAG_METADATA = 1
RECORD_FLAG_SKIP = 1
DEFAULT_VERIFY_MAX_BYTES = 4096
INT64_MIN = -(1 << 63)


class Error(Exception):
    """Base of the errors of this package; ``channel``, ``path``, ``record`` and ``offset`` say where."""

    def __init__(self, reason, channel=None, path=None, record=None, offset=None):
        self.reason = reason
        self.channel = channel
        self.path = path
        self.record = record
        self.offset = offset
        where = []
        if channel is not None:
            where.append("channel %r" % channel + (" (%r)" % path if path else ""))
        elif path:
            where.append(repr(path))
        if record is not None:
            where.append("record %d" % record)
        if offset is not None:
            where.append("at offset %d" % offset)
        super().__init__((", ".join(where) + ": " if where else "") + reason)


class FormatError(Error, ValueError):
    """The bytes on disk are not a valid log (bad header, bad checksum, undecodable payload)."""


class ChecksumError(FormatError):
    """A record's checksum does not match: the record is damaged."""


def open_regular(path):
    """Opens ``path`` read-only without following a symlink or blocking on a FIFO; (fd, size) or raises."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise FormatError("not a regular file (a symlink; refused)", path=path) from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise FormatError("not a regular file", path=path)
    return fd, st.st_size


def map_file(fd, size):
    """A read-only mapping of the first ``size`` bytes (None for an empty file)."""
    return mmap.mmap(fd, size, access=mmap.ACCESS_READ) if size else None


def parse_params(lines):
    params = []
    for line in lines:
        key, eq, value = line.partition("=")
        if not eq or not key:
            raise ValueError("malformed parameter line %r" % line[:64])
        params.append((key, value))
    return params


class Descriptor:
    """A codec descriptor: ``name`` and ``params`` (ordered (key, value) pairs; ``get`` takes the first)."""

    def __init__(self, text):
        if not text or not text.endswith("\n"):
            raise ValueError("codec descriptor is empty or does not end with a newline")
        lines = text.split("\n")[:-1]
        self.name = lines[0]
        if not self.name:
            raise ValueError("codec descriptor has no name")
        self.params = parse_params(lines[1:])
        self.text = text

    def get(self, key, default=None):
        for k, v in self.params:
            if k == key:
                return v
        return default

    def __repr__(self):
        return "%s(%s)" % (self.name, ", ".join("%s=%s" % (k, v if len(v) <= 64 else v[:16] + "...")
                                                 for k, v in self.params))


def parse_header(m, path, channel):
    """Checks the channel file header in mapping ``m`` as the C++ reader does; (records_offset, descriptor, metadata)."""
    def fail(reason):
        raise FormatError(reason, channel=channel, path=path)

    size = len(m) if m is not None else 0
    if size < 64:
        fail("not a tinman channel (file of %d bytes has no header)" % size)
    (magic, version, flags, records_offset, codec_size, header_crc, _,
     metadata_size, metadata_crc) = FILE_HEADER.unpack_from(m, 0)
    if magic != MAGIC:
        fail("not a tinman channel (bad magic)")
    if version != 1:
        fail("unsupported format version %d" % version)
    if codec_size > MAX_CODEC_SIZE or 64 + codec_size > size:
        fail("codec descriptor size %d is out of range" % codec_size)
    head = bytearray(m[:64])
    head[20:24] = bytes(4)
    if crc32c(m[64:64 + codec_size], crc32c(head)) != header_crc:
        fail("file header checksum mismatch")
    if flags & 0xFF00:
        fail("file requires features this reader lacks (flags 0x%04x)" % flags)
    if records_offset < 64 + codec_size or records_offset % 64 or records_offset > size:
        fail("records offset %d is out of range" % records_offset)
    try:
        descriptor = Descriptor(bytes(m[64:64 + codec_size]).decode("utf-8", "surrogateescape"))
    except ValueError as e:
        fail("malformed codec descriptor: %s" % e)
    metadata = {}
    if flags & FLAG_METADATA:
        start = 64 + codec_size
        if metadata_size > MAX_METADATA_SIZE or start + metadata_size > records_offset:
            fail("metadata size %d is out of range" % metadata_size)
        block = bytes(m[start:start + metadata_size])
        if crc32c(block) != metadata_crc:
            fail("metadata checksum mismatch")
        if block and not block.endswith(b"\n"):
            fail("metadata does not end with a newline")
        try:
            for key, value in parse_params(block.decode("utf-8").split("\n")[:-1]):
                if key in metadata:
                    raise ValueError("duplicate key %r" % key)
                metadata[key] = value
        except (ValueError, UnicodeDecodeError) as e:
            fail("malformed metadata: %s" % e)
    return records_offset, descriptor, metadata


def complete_record_at(m, pos):
    """True when 32 bytes at ``pos`` form a header with a valid checksum whose padding and payload fit in the file."""
    end = len(m)
    if end - pos < 32:
        return False
    _, size, padding, _, _, header_crc = RECORD_HEADER.unpack_from(m, pos)
    after = end - pos - 32
    return crc32c(m[pos:pos + 28]) == header_crc and padding <= after and size <= after - padding


class ScanStatus:
    """Where a scan stopped: ``stop`` is "end" (clean), "torn" or "corrupt"; ``intact_end`` where the intact records end."""

    def __init__(self, records=0, intact_end=0, stop="end", reason=""):
        self.records = records
        self.intact_end = intact_end
        self.stop = stop
        self.reason = reason

    @property
    def clean(self):
        return self.stop == "end"

    def __repr__(self):
        return "ScanStatus(records=%d, intact_end=%d, stop=%r, reason=%r)" % (
            self.records, self.intact_end, self.stop, self.reason)


def scan(m, pos, verify_max, first_number=0):
    """Scans records from ``pos``; returns (timestamps, offsets, header_crcs, status) of the intact data records."""
    ts, offs, crcs = [], [], []
    end = len(m)
    unpack = RECORD_HEADER.unpack_from
    number = first_number
    while True:
        if pos == end:
            stop, reason = "end", ""
            break
        if end - pos < 32:
            stop, reason = "torn", "incomplete record header (%d of 32 bytes)" % (end - pos)
            break
        t, size, padding, payload_crc, flags, header_crc = unpack(m, pos)
        if crc32c(m[pos:pos + 28]) != header_crc:
            if m[pos:pos + 32] == bytes(32):
                stop, reason = "torn", "unwritten (zero) bytes where a record header should be"
            else:
                stop, reason = "corrupt", "record header checksum mismatch"
            break
        if flags & ~RECORD_FLAG_SKIP:
            stop, reason = "corrupt", "unknown record flags %d" % flags
            break
        after = end - pos - 32
        if padding > after or size > after - padding:
            stop, reason = "torn", "record of %d payload bytes extends past the end of the file" % size
            break
        start = pos + 32 + padding
        # The last record (no complete record follows) is verified whole: a crash damages it.
        if ((size <= verify_max or not complete_record_at(m, start + size))
                and crc32c(m[start:start + size]) != payload_crc):
            stop, reason = "corrupt", "payload checksum mismatch (record %d)" % number
            break
        if not flags & RECORD_FLAG_SKIP:
            ts.append(t)
            offs.append(pos)
            crcs.append(header_crc)
            number += 1
        pos = start + size
    status = ScanStatus(number - first_number, pos, stop, reason + (" at offset %d" % pos if reason else ""))
    return ts, offs, crcs, status
