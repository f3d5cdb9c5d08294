"""Python tinman ``.blog`` channels (docs/format.md, "Python tinman .blog files"): no header, checksum or index.

Records are ``<QQ`` (timestamp, length) then the data; record 0 holds the pickled codec, which is never
unpickled: its opcodes name the codec class. ``tinman.codecs.numpy.NumpyArrayCodec`` records are decoded
as arrays (views of the mapping, at whatever alignment Python left them); any other codec's records are
given as raw bytes (``kind == "raw"``, with a warning), never unpickled.
"""
import os
import struct
import warnings

import numpy as np

from . import _format as F
from ._codecs import Codec, UnknownCodecWarning
from ._view import RecordsView, uniform_array

SUFFIX = ".blog"
NUMPY_CODEC = "tinman.codecs.numpy.NumpyArrayCodec"
_HEAD = struct.Struct("<QQ")


def codec_class(data):
    """The ``module.name`` of the class a codec pickle starts with (its opcodes are read, never executed)."""
    pos, strings = 0, []
    n = len(data)

    def need(k):
        if pos + k > n:
            raise ValueError("codec record ends inside a pickle opcode")

    while pos < n:
        op = data[pos]
        pos += 1
        if op == 0x80:          # PROTO
            need(1)
            pos += 1
        elif op == 0x95:        # FRAME
            need(8)
            pos += 8
        elif op == 0x94:        # MEMOIZE
            pass
        elif op in (0x8C, 0x58):  # SHORT_BINUNICODE, BINUNICODE
            width = 1 if op == 0x8C else 4
            need(width)
            k = int.from_bytes(data[pos:pos + width], "little")
            pos += width
            if k > 256:
                raise ValueError("codec pickle string of %d bytes" % k)
            need(k)
            strings.append(bytes(data[pos:pos + k]).decode("utf-8"))
            pos += k
        elif op == 0x93:        # STACK_GLOBAL
            if len(strings) != 2:
                raise ValueError("codec pickle names no class")
            return "%s.%s" % tuple(strings)
        elif op == 0x63:        # GLOBAL module\nname\n
            end1 = data.find(b"\n", pos)
            end2 = data.find(b"\n", end1 + 1) if end1 >= 0 else -1
            if end2 < 0 or end2 - pos > 513:
                raise ValueError("malformed GLOBAL opcode")
            return "%s.%s" % (bytes(data[pos:end1]).decode("utf-8"), bytes(data[end1 + 1:end2]).decode("utf-8"))
        else:
            raise ValueError("unexpected pickle opcode 0x%02x in the codec record" % op)
    raise ValueError("codec pickle names no class")


class BlogChannel(RecordsView):
    """A Python tinman channel (``<dir>/<name>.blog``): ``len``, ``ch[i]`` (data records from 0), iteration,
    ``timestamps``, ``stacked`` (uniform records), ``refresh``; no checksums exist to verify."""

    def __init__(self, path, name=None, strict=False):
        self.path = os.fspath(path)
        base = os.path.basename(self.path)
        self.name = name if name is not None else (base[:-len(SUFFIX)] if base.endswith(SUFFIX) else base)
        self.strict = strict
        self.format = "blog"
        self.metadata = {}
        self._codec = None
        self._load()
        RecordsView.__init__(self, self, None)

    def _error(self, reason, record=None, offset=None):
        return F.FormatError(reason, channel=self.name, path=self.path, record=record, offset=offset)

    def _load(self):
        fd, size = F.open_regular(self.path)
        try:
            m = F.map_file(fd, size)
        finally:
            os.close(fd)
        if size < 16:
            raise self._error("not a Python tinman channel: no complete codec record (%d bytes)" % size)
        t0, length = _HEAD.unpack_from(m, 0)
        if length > size - 16:
            raise self._error("not a Python tinman channel: no complete codec record")
        if self._codec is None:
            try:
                self.codec_class = codec_class(memoryview(m)[16:16 + length])
            except (ValueError, UnicodeDecodeError) as e:
                raise self._error("unreadable codec record: %s" % e) from None
            if self.codec_class == NUMPY_CODEC:
                self._codec = Codec(F.Descriptor("ndarray\n"))
            else:
                self._codec = Codec(F.Descriptor("bytes\n"))
                self._codec.kind = "raw"
                warnings.warn("channel %r (%r): Python tinman codec %s is not decoded; records are raw bytes"
                              % (self.name, self.path, self.codec_class), UnknownCodecWarning, stacklevel=3)
        self._m = m
        self._u8 = np.frombuffer(m, dtype=np.uint8)
        ts, starts, sizes = [], [], []
        pos = 16 + length
        stop, reason = "end", ""
        unpack = _HEAD.unpack_from
        while pos < size:
            if size - pos < 16:
                stop, reason = "torn", "truncated record header"
                break
            t, k = unpack(m, pos)
            if k > size - pos - 16:
                stop, reason = "torn", "truncated data (%d bytes claimed)" % k
                break
            if t > (1 << 63) - 1:
                stop, reason = "corrupt", "timestamp above INT64_MAX"
                break
            ts.append(t)
            starts.append(pos + 16)
            sizes.append(k)
            pos += 16 + k
        self.status = F.ScanStatus(len(ts), pos, stop, reason + (" at offset %d" % pos if reason else ""))
        if self.strict and stop != "end":
            raise self._error(self.status.reason)
        self._ts = np.array(ts, dtype=np.int64)
        self._starts = np.array(starts, dtype=np.int64)
        self._sizes = np.array(sizes, dtype=np.int64)
        self._off = self._starts - 16
        for a in (self._ts, self._starts, self._sizes, self._off):
            a.flags.writeable = False
        self._n = len(ts)

    def refresh(self):
        """Maps what was appended since; a record still being written is not counted. Returns the record count."""
        self._load()
        RecordsView.__init__(self, self, None)
        return self._n

    def close(self):
        self._m = self._u8 = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def codec(self):
        return self.codec_class

    @property
    def kind(self):
        return self._codec.kind

    @property
    def dtype(self):
        return None

    def _verify(self, lo, hi):
        pass  # the format has no checksums

    def _decode(self, i, start, size):
        try:
            return self._codec.decode(self._m, start, size)
        except (ValueError, TypeError) as e:
            raise self._error("cannot decode with %s: %s" % (self.codec_class, e), record=i,
                              offset=start - 16) from None

    def _record(self, i):
        return int(self._ts[i]), self._decode(i, int(self._starts[i]), int(self._sizes[i]))

    def _decode_many(self, nums):
        for i in nums.tolist():
            yield self._record(i)[1]

    def _batch_view(self, nums, explain=False):
        def no(reason):
            if explain:
                raise ValueError("channel %r: cannot stack without copying: %s (stack() copies)" % (self.name, reason))
            return None

        n = len(nums)
        if n == 0:
            return no("no records") if explain else None
        starts, sizes = self._starts[nums], self._sizes[nums]
        bad = np.flatnonzero(sizes != sizes[0])
        if len(bad):
            return no("record %d has another size than record %d" % (int(nums[int(bad[0])]), int(nums[0])))
        stride = 0
        if n > 1:
            d = np.diff(starts)
            stride = int(d[0])
            bad = np.flatnonzero(d != stride)
            if len(bad):
                return no("record %d is not at the stride of the records before it" % int(nums[int(bad[0]) + 1]))
        return uniform_array(self, nums, int(starts[0]), int(sizes[0]), stride, no)

    def seek(self, t):
        """The number of the first record whose timestamp is >= t, by a scan (.blog files have no index)."""
        from ._view import to_ns
        t = to_ns(t)
        hit = np.flatnonzero(self._ts >= t)
        return int(hit[0]) if len(hit) else self._n

    def between(self, t0=None, t1=None):
        """The records of [t0, t1), selected as for native channels (running maximum computed here)."""
        from ._view import to_ns
        t0, t1 = to_ns(t0), to_ns(t1)
        mx = np.maximum.accumulate(self._ts) if self._n else self._ts
        start = 0 if t0 is None else int(np.searchsorted(mx, t0, side="left"))
        stop = self._n if t1 is None else max(start, int(np.searchsorted(mx, t1, side="left")))
        nums = np.arange(start, stop, dtype=np.int64)
        if t0 is not None:
            nums = nums[self._ts[start:stop] >= t0]
        return RecordsView(self, nums)

    def __repr__(self):
        return "<tinman.BlogChannel %r: %d records, %s>" % (self.name, self._n, self.codec_class)
