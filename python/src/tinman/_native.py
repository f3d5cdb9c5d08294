"""A native channel read through its time index: random access, seek, windows, following, stacked views."""
import os
import struct

import numpy as np

from . import _format as F
from ._codecs import Codec
from ._crc import crc32c, crc32c_rows
from ._view import RecordsView, uniform_array

_ENTRY = struct.Struct("<qqQII")
_U64 = struct.Struct("<Q")
_CHUNK = 1 << 14          # entries verified together (vectorised)
_GATHER = 1 << 16         # records whose headers one fancy-index gather copies (32 bytes each)


class Channel(RecordsView):
    """A native channel (``<dir>/<name>.tinman``), mapped read-only.

    ``len(ch)`` records; ``ch[i]`` is ``(timestamp, value)``; iteration yields the
    same pairs in file order; ``seek``, ``between``, ``stacked``, ``timestamps``,
    ``refresh`` (see the package documentation).
    """

    def __init__(self, path, name=None, verify_max_bytes=F.DEFAULT_VERIFY_MAX_BYTES, verify_all=False,
                 strict=False):
        self.path = os.fspath(path)
        if name is None:
            base = os.path.basename(self.path)
            name = base[:-len(F.SUFFIX)] if base.endswith(F.SUFFIX) else base
        self.name = name
        self.verify_max_bytes = (1 << 64) if verify_all else verify_max_bytes
        self.strict = strict
        self.format = "tinman"
        self._codec = None
        self._header_crc = None
        self._load()
        RecordsView.__init__(self, self, None)

    def _error(self, reason, record=None, offset=None, kind=F.FormatError):
        return kind(reason, channel=self.name, path=self.path, record=record, offset=offset)

    def _load(self):
        fd, size = F.open_regular(self.path)
        try:
            ident = os.fstat(fd)
            ident = (ident.st_dev, ident.st_ino)
            m = F.map_file(fd, size)
        finally:
            os.close(fd)
        # Chunks verified before stay verified if neither file was replaced (both are append-only).
        before = getattr(self, "_identity", None), getattr(self, "_checked", None), getattr(self, "_file_n", 0)
        records_offset, descriptor, metadata = F.parse_header(m, self.path, self.name)
        if self._codec is None or self._codec.descriptor.text != descriptor.text:
            try:
                self._codec = Codec(descriptor, "channel %r (%r)" % (self.name, self.path))
            except ValueError as e:
                raise self._error(str(e)) from None
        self._m = m
        self._u8 = np.frombuffer(m, dtype=np.uint8)
        self._records_offset = records_offset
        self.descriptor = descriptor
        self.metadata = metadata
        self._header_crc = F.FILE_HEADER.unpack_from(m, 0)[5]
        self._index_m = None
        self._index_id = None
        self._file_n = 0
        self._open_index()
        self._scan_tail()
        self._combine()
        self._identity = (ident, self._index_id)
        old_id, old_checked, old_n = before
        if old_id == self._identity and old_checked is not None and self._index_id is not None:
            keep = min(old_n, self._file_n) // _CHUNK
            self._checked[:keep] = old_checked[:keep]
        if self.strict and not self.status.clean:
            raise self._error(self.status.reason)

    def _open_index(self):
        path = self.path[:-len(F.SUFFIX)] + F.INDEX_SUFFIX if self.path.endswith(F.SUFFIX) else None
        if path is None:
            return
        try:
            fd, size = F.open_regular(path)
        except (OSError, F.FormatError):
            return
        try:
            if size < 64:
                return
            st = os.fstat(fd)
            im = F.map_file(fd, size)
        finally:
            os.close(fd)
        # The first 24 bytes must be the expected ones and the header checksum must hold;
        # bytes 24..60 hold the writer's uniform-layout claim (docs/format.md), or zeros.
        fixed = F.INDEX_MAGIC + struct.pack("<HHIQ", 1, 32, self._header_crc, self._records_offset)
        if im[:24] != fixed or struct.unpack_from("<I", im, 60)[0] != crc32c(bytes(im[:60])):
            return
        self._index_m = im
        count = (size - 64) // 32
        if count and not self._entry_valid(count - 1):
            lo, hi = 0, count - 1  # the answer is in [lo, hi]: entries before it are valid
            while lo < hi:
                mid = (lo + hi) // 2
                if self._entry_valid(mid):
                    lo = mid + 1
                else:
                    hi = mid
            count = lo
        if count:
            first = self._entry(0)
            if first is None or first[2] != self._records_offset or not self._entry_valid(0):
                count = 0
        self._file_n = count
        self._index_id = (st.st_dev, st.st_ino) if count else None
        if not count:
            self._index_m = None

    def _entry(self, i):
        """Index-file entry ``i`` as (timestamp, max, offset, record_crc) when its checksum holds, else None."""
        pos = 64 + 32 * i
        raw = self._index_m[pos:pos + 32]
        t, mx, off, rcrc, ecrc = _ENTRY.unpack(raw)
        if crc32c(_U64.pack(i), crc32c(raw[:28])) != ecrc:
            return None
        return t, mx, off, rcrc

    def _record_at(self, e, verify_max):
        """Payload (start, size) of the record an entry points to, when the record proves the entry; else None."""
        t, mx, off, rcrc = e
        m = self._m
        if off < self._records_offset or mx < t or len(m) - off < 32:
            return None
        rt, size, padding, pcrc, flags, hcrc = F.RECORD_HEADER.unpack_from(m, off)
        if crc32c(m[off:off + 28]) != hcrc or rt != t or flags != 0 or hcrc != rcrc:
            return None
        after = len(m) - off - 32
        if padding > after or size > after - padding:
            return None
        start = off + 32 + padding
        if size <= verify_max and crc32c(m[start:start + size]) != pcrc:
            return None
        return start, size

    def _entry_valid(self, i, verify_max=None):
        e = self._entry(i)
        return e is not None and self._record_at(e, self.verify_max_bytes if verify_max is None else verify_max) \
            is not None

    def _scan_tail(self):
        start, mx = self._records_offset, F.INT64_MIN
        if self._file_n:
            e = self._entry(self._file_n - 1)
            r = self._record_at(e, self.verify_max_bytes) if e is not None else None
            if r is None:
                return self._rebuild()
            start, mx = r[0] + r[1], e[1]
        ts, offs, crcs, self.status = F.scan(self._m, start, self.verify_max_bytes, self._file_n)
        self.status.records += self._file_n
        self._tail = (np.array(ts, dtype=np.int64), np.array(offs, dtype=np.int64))
        self._tail_max0 = mx
        if self._file_n and not ts:
            # As a scan does: the last record is verified whole (a crash may have left its payload unwritten).
            i = self._file_n - 1
            if not self._entry_valid(i, 1 << 64):
                e = self._entry(i)
                self._file_n = i
                if not i:
                    self._index_m = None
                end = e[2] if e else self._records_offset
                self.status = F.ScanStatus(i, end, "corrupt", "payload checksum mismatch (record %d; the last record "
                                           "is verified whole) at offset %d" % (i, end))

    def _rebuild(self):
        """Forgets the index file and indexes every record by one scan (results are always those of a scan)."""
        self._index_m = self._index_id = None
        self._file_n = 0
        ts, offs, crcs, self.status = F.scan(self._m, self._records_offset, self.verify_max_bytes)
        self._tail = (np.array(ts, dtype=np.int64), np.array(offs, dtype=np.int64))
        self._tail_max0 = F.INT64_MIN
        self._combine()

    def _combine(self):
        """Builds the per-record arrays: timestamps, running maxima, offsets (views of the index file when it covers all)."""
        tts, toffs = self._tail
        tmax = np.maximum.accumulate(np.concatenate(([self._tail_max0], tts)))[1:] if len(tts) else tts
        if self._file_n:
            e = np.ndarray((self._file_n,), F.ENTRY_DTYPE, self._index_m, 64)
            self._entries = e
            if len(tts):
                self._ts = np.concatenate((e["timestamp"], tts))
                self._max = np.concatenate((e["max_timestamp"], tmax))
                self._off = np.concatenate((e["offset"].astype(np.int64), toffs))
            else:
                self._ts, self._max = e["timestamp"], e["max_timestamp"]
                self._off = e["offset"].view(np.int64)
        else:
            self._entries = None
            self._ts, self._max, self._off = tts, tmax, toffs
        for a in (self._ts, self._max, self._off):
            a.flags.writeable = False
        self._n = len(self._ts)
        self._checked = np.zeros((self._file_n + _CHUNK - 1) // _CHUNK, dtype=bool)

    def refresh(self):
        """Maps what was appended since (records and index entries); a torn tail in progress is not counted.

        Returns the number of records now readable. Arrays handed out before stay valid.
        """
        self._load()
        RecordsView.__init__(self, self, None)
        return self._n

    def close(self):
        """Drops this object's references to the mappings (arrays handed out keep theirs alive)."""
        self._m = self._u8 = self._index_m = self._entries = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _verify(self, lo, hi):
        """Verifies the index entries of records [lo, hi) (vectorised, once per chunk); rebuilds on any failure."""
        hi = min(hi, self._file_n)
        if lo >= hi:
            return
        for c in range(lo // _CHUNK, (hi - 1) // _CHUNK + 1):
            if self._checked[c]:
                continue
            a, b = c * _CHUNK, min((c + 1) * _CHUNK, self._file_n)
            if not self._chunk_ok(a, b):
                self._rebuild()
                if self.strict or self._n < hi:
                    raise self._error("damaged or past damage: " + self.status.reason, record=self._n,
                                      kind=F.ChecksumError)
                return
            self._checked[c] = True

    def _chunk_ok(self, a, b):
        n = b - a
        raw = np.ndarray((n, 32), np.uint8, self._index_m, 64 + 32 * a)
        e = self._entries[a:b]
        rows = np.empty((n, 36), np.uint8)
        rows[:, :28] = raw[:, :28]
        rows[:, 28:] = np.arange(a, b, dtype="<u8").view(np.uint8).reshape(n, 8)
        if not np.array_equal(crc32c_rows(rows), e["entry_crc"]):
            return False
        ts, mx = e["timestamp"], e["max_timestamp"]
        prev = np.concatenate(([self._max[a - 1] if a else F.INT64_MIN], mx[:-1]))
        if not np.array_equal(mx, np.maximum(prev, ts)):  # the running maximum
            return False
        off = e["offset"]
        size = len(self._m)
        if off.min() < self._records_offset or off.max() > size - 32:
            return False
        h = self._headers(off.astype(np.int64))
        hb = h.view(np.uint8).reshape(n, 32) if h.flags.c_contiguous else None
        if hb is None:
            hb = np.ndarray((n, 32), np.uint8, self._m, int(off[0]), (h.strides[0], 1))
        if not (np.array_equal(crc32c_rows(hb[:, :28]), h["header_crc"]) and np.array_equal(h["timestamp"], ts)
                and not h["flags"].any() and np.array_equal(h["header_crc"], e["record_crc"])):
            return False
        after = (size - 32 - off).astype(np.uint64)
        pad = h["padding"].astype(np.uint64)
        psize = h["payload_size"]
        if not (np.all(pad <= after) and np.all(psize <= after - np.minimum(pad, after))):
            return False
        return self._payloads_ok(off.astype(np.int64) + 32 + pad.astype(np.int64), psize, h["payload_crc"])

    def _payloads_ok(self, starts, sizes, crcs):
        """Checks the payload CRCs of the payloads of at most verify_max_bytes, by groups of equal size."""
        small = sizes <= np.uint64(min(self.verify_max_bytes, 1 << 62))
        if not small.any():
            return True
        starts, sizes, crcs = starts[small], sizes[small].astype(np.int64), crcs[small]
        for s in np.unique(sizes):
            s = int(s)
            pick = sizes == s
            st, want = starts[pick], crcs[pick]
            if s == 0:
                if np.any(want != 0):
                    return False
                continue
            d = np.diff(st)
            if len(st) == 1 or (d[0] > 0 and np.all(d == d[0])):
                stride = int(d[0]) if len(st) > 1 else s
                rows = np.ndarray((len(st), s), np.uint8, self._m, int(st[0]), (stride, 1))
                got = crc32c_rows(rows)
            else:
                step = max(1, (1 << 22) // s)
                got = np.concatenate([crc32c_rows(self._u8[st[i:i + step, None] + np.arange(s)])
                                      for i in range(0, len(st), step)])
            if not np.array_equal(got, want):
                return False
        return True

    def _headers(self, off):
        """Record headers at offsets ``off`` as a RECORD_DTYPE array: a strided view when they are evenly spaced."""
        n = len(off)
        if n == 0:
            return np.zeros(0, F.RECORD_DTYPE)
        d = np.diff(off)
        if n == 1 or (d[0] >= 32 and np.all(d == d[0])):
            return np.ndarray((n,), F.RECORD_DTYPE, self._m, int(off[0]), (int(d[0]) if n > 1 else 32,))
        out = np.empty((n, 32), np.uint8)
        step = _GATHER
        cols = np.arange(32)
        for i in range(0, n, step):
            out[i:i + step] = self._u8[off[i:i + step, None] + cols]
        return out.view(F.RECORD_DTYPE).reshape(n)

    def _check_record(self, i):
        """Record ``i``'s payload (start, size), its entry verified as on every use; raises when it fails."""
        if i < self._file_n:
            e = self._entry(i)
            r = self._record_at(e, self.verify_max_bytes) if e is not None else None
            if r is not None:
                return r
            n_before = self._n
            self._rebuild()
            if i >= self._n:
                raise self._error("damaged or past damage: " + self.status.reason, record=i, kind=F.ChecksumError)
            if self._n < n_before and self.strict:
                raise self._error(self.status.reason, kind=F.ChecksumError)
            return self._check_record(i)
        off = int(self._off[i])
        _, size, padding, _, _, _ = F.RECORD_HEADER.unpack_from(self._m, off)
        return off + 32 + padding, size

    def _decode(self, i, start, size):
        try:
            return self._codec.decode(self._m, start, size)
        except (ValueError, TypeError) as e:
            raise self._error("cannot decode with %r: %s" % (self._codec.descriptor, e), record=i,
                              offset=int(self._off[i])) from None

    def _record(self, i):
        start, size = self._check_record(i)
        return int(self._ts[i]), self._decode(i, start, size)

    @property
    def codec(self):
        """The codec descriptor's name: ndarray, bytes, text, json, or another (read as raw bytes)."""
        return self._codec.name

    @property
    def kind(self):
        """How values are given: ndarray, bytes, text, json or raw (an unknown codec, as bytes)."""
        return self._codec.kind

    @property
    def dtype(self):
        """The channel's numpy dtype when its descriptor fixes one (structured for struct channels), else None."""
        return self._codec.dtype

    @property
    def indexed_records(self):
        """Records whose entries come from the index file (the others were found by scanning)."""
        return self._file_n

    def __repr__(self):
        return "<tinman.Channel %r: %d records, %r>" % (self.name, self._n, self._codec.descriptor)

    def _decode_many(self, nums):
        """Values of records ``nums`` (already verified), decoded one by one from their headers."""
        off = self._off[nums]
        h = self._headers(off)
        starts = (off + 32 + h["padding"].astype(np.int64)).tolist()
        sizes = h["payload_size"].tolist()
        decode = self._codec.decode
        m = self._m
        for k, i in enumerate(nums.tolist()):
            try:
                yield decode(m, starts[k], sizes[k])
            except (ValueError, TypeError):
                yield self._decode(i, starts[k], sizes[k])  # raises, naming the record

    def _batch_view(self, nums, explain=False):
        """Records ``nums`` (verified) as one strided read-only array over the mapping, or None (or ValueError
        saying why, with ``explain``) when their bodies are not at a uniform stride with identical heads."""
        def no(reason):
            if explain:
                raise ValueError("channel %r: cannot stack without copying: %s (stack() copies)" % (self.name, reason))
            return None

        kind = self._codec.kind
        if kind not in ("ndarray", "bytes", "raw"):
            return no("%s values are not arrays" % kind)
        n = len(nums)
        if n == 0:
            if not explain:
                return None
            empty = np.zeros((0,), self._codec.dtype if kind == "ndarray" and self._codec.dtype else np.uint8)
            empty.flags.writeable = False
            return empty
        off = self._off[nums]
        stride = 0
        if n > 1:
            d = np.diff(off)
            stride = int(d[0])
            bad = np.flatnonzero(d != stride)
            if len(bad) or stride <= 0:
                k = int(bad[0]) + 1 if len(bad) else 1
                return no("record %d is not at the stride of the records before it" % int(nums[k]))
        h = self._headers(off)
        sizes, pads = h["payload_size"], h["padding"]
        for field, what in ((sizes, "payload size"), (pads, "padding")):
            bad = np.flatnonzero(field != field[0])
            if len(bad):
                k = int(bad[0])
                return no("record %d has another %s (%d) than record %d (%d)"
                          % (int(nums[k]), what, int(field[k]), int(nums[0]), int(field[0])))
        return uniform_array(self, nums, int(off[0]) + 32 + int(pads[0]), int(sizes[0]), stride, no)

    def seek(self, t):
        """The number of the first record (in file order) whose timestamp is >= ``t`` (``len`` if none)."""
        from ._view import to_ns
        t = to_ns(t)
        while True:
            n, file_n = self._n, self._file_n
            i = int(np.searchsorted(self._max, t, side="left"))
            # The two entries that decide the answer must prove themselves, as in the C++ reader.
            for j in (i - 1, i):
                if 0 <= j < min(n, file_n):
                    self._check_record(j)
            if self._file_n == file_n and self._n == n:
                return i

    def between(self, t0=None, t1=None):
        """The records of the time window [t0, t1), as the C++ reader's time-range read selects them.

        From ``seek(t0)`` on, in file order, the records whose timestamp is >= t0, up to the first record whose
        running maximum is >= t1 (with non-decreasing timestamps: every record in [t0, t1)). ``None`` leaves
        a side open; times are ns since the epoch (int), datetimes with a timezone, or numpy datetime64.
        """
        from ._view import to_ns
        t0, t1 = to_ns(t0), to_ns(t1)
        start = 0 if t0 is None else self.seek(t0)
        stop = self._n if t1 is None else max(start, self.seek(t1))
        self._verify(start, stop)
        nums = np.arange(start, stop, dtype=np.int64)
        if t0 is not None:
            nums = nums[self._ts[start:stop] >= t0]
        return RecordsView(self, nums)

    def verify(self):
        """Verifies every checksum of the channel, large payloads included (slow for large logs without a C CRC).

        Returns the ScanStatus of a full scan; raises ChecksumError when a record the index lists is damaged.
        """
        ts, offs, crcs, status = F.scan(self._m, self._records_offset, 1 << 64)
        if status.records < self._n:
            raise self._error("damaged: " + status.reason, record=status.records, kind=F.ChecksumError)
        return status
