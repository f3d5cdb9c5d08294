"""Record selections shared by native and .blog channels: indexing, iteration, stacked views, pandas."""
import datetime
import time

import numpy as np

_BATCH = 1 << 14


def to_ns(t):
    """Nanoseconds since the epoch from an int, numpy datetime64, aware datetime or pandas Timestamp."""
    if t is None or isinstance(t, (int, np.integer)):
        return None if t is None else int(t)
    if isinstance(t, np.datetime64):
        return int(t.astype("datetime64[ns]").astype(np.int64))
    if hasattr(t, "value") and hasattr(t, "tz_localize"):  # pandas Timestamp
        return int(t.value)
    if isinstance(t, datetime.datetime):
        if t.tzinfo is None:
            raise ValueError("a naive datetime is ambiguous: give it a timezone (e.g. datetime.timezone.utc)")
        delta = t - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        return (delta.days * 86400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000
    raise TypeError("cannot use %r as a time (give ns since the epoch as an int, or a datetime)" % (t,))


def uniform_array(ch, nums, start, size, stride, no):
    """Records ``nums`` of ``ch`` whose payloads (``size`` bytes) start at ``start``, ``start + stride``, ...
    as one strided array when their heads are identical; else ``no(reason)``."""
    n = len(nums)
    m = ch._m
    if ch.kind != "ndarray":
        return np.ndarray((n, size), np.uint8, m, start, (stride, 1))
    try:
        first = ch._codec.decode(m, start, size)
    except (ValueError, TypeError):
        ch._decode(int(nums[0]), start, size)  # raises, naming the record
    head = size - first.nbytes
    if n > 1 and head:
        heads = np.ndarray((n, head), np.uint8, m, start, (stride, 1))
        bad = np.flatnonzero((heads != heads[0]).any(axis=1))
        if len(bad):
            return no("record %d has another dtype or shape than record %d" % (int(nums[int(bad[0])]), int(nums[0])))
    inner = []
    step = first.dtype.itemsize
    for dim in reversed(first.shape):
        inner.append(step)
        step *= dim
    return np.ndarray((n,) + first.shape, first.dtype, m, start + head, (stride,) + tuple(reversed(inner)))


def _readonly(a):
    a.flags.writeable = False
    return a


class RecordsView:
    """A selection of a channel's records, in file order. ``view[i]`` is ``(timestamp, value)``.

    Made by slicing a channel (``ch[10:20]``) or by a time window (``ch.between(t0, t1)``).
    """

    def __init__(self, channel, numbers):
        self._ch = channel
        self._numbers = numbers  # None: every record of the channel (grows with refresh)

    def _nums(self):
        return np.arange(self._ch._n, dtype=np.int64) if self._numbers is None else self._numbers

    def _range(self):
        """(lo, hi) when the selection is records lo..hi-1, else None."""
        if self._numbers is None:
            return 0, self._ch._n
        n = self._numbers
        if len(n) == 0:
            return 0, 0
        if n[-1] - n[0] + 1 == len(n):
            return int(n[0]), int(n[-1]) + 1
        return None

    def __len__(self):
        return self._ch._n if self._numbers is None else len(self._numbers)

    @property
    def record_numbers(self):
        """The channel record numbers of this selection."""
        return _readonly(self._nums().copy())

    def __getitem__(self, key):
        if isinstance(key, slice):
            return RecordsView(self._ch, self._nums()[key])
        n = len(self)
        i = int(key)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("record %d out of range: %d records" % (int(key), n))
        return self._ch._record(i if self._numbers is None else int(self._numbers[i]))

    def __iter__(self):
        ch = self._ch
        nums = self._nums()
        for b in range(0, len(nums), _BATCH):
            part = nums[b:b + _BATCH]
            lo, hi = int(part[0]), int(part[-1]) + 1
            ch._verify(lo, hi)
            ts = ch._ts[part].tolist()
            values = ch._batch_view(part) if ch.kind == "ndarray" else None
            if values is not None and values.ndim > 1:
                yield from zip(ts, values)  # rows of a strided view: one small object per record
            elif values is not None:
                yield from zip(ts, (values[k, ...] for k in range(len(part))))
            else:
                yield from zip(ts, ch._decode_many(part))

    def follow(self, start=None, interval=0.1, idle_timeout=None):
        """Yields ``(timestamp, value)`` for records as they are appended to a live channel, in file order.

        Starts at record ``start`` (default: the current end), calls ``refresh()`` every ``interval`` seconds
        while there is nothing new, and returns after ``idle_timeout`` seconds without a new record (None:
        never). A record still being written is yielded once it is complete.
        """
        if self._numbers is not None:
            raise TypeError("follow() follows a whole channel, not a selection of it")
        ch = self._ch
        i = len(ch) if start is None else int(start)
        last = time.monotonic()
        while True:
            n = len(ch)
            if i < n:
                yield from RecordsView(ch, np.arange(i, n, dtype=np.int64))
                i = n
                last = time.monotonic()
                continue
            if idle_timeout is not None and time.monotonic() - last >= idle_timeout:
                return
            time.sleep(interval)
            ch.refresh()

    def arrays(self, batch=1 << 16):
        """Yields ``(timestamps, values)`` per batch of records: an int64 array and, when the batch's records
        share dtype, shape and stride, a read-only strided array of shape (batch, ...), else a list of values."""
        ch = self._ch
        nums = self._nums()
        for b in range(0, len(nums), batch):
            part = nums[b:b + batch]
            ch._verify(int(part[0]), int(part[-1]) + 1)
            values = ch._batch_view(part)
            if values is None:
                values = [ch._record(i)[1] for i in part.tolist()]
            yield _readonly(ch._ts[part]), values

    def timestamps(self):
        """The records' timestamps (int64 ns), read-only: a strided view of the index file where it covers them."""
        r = self._range()
        self._ch._verify(*(r if r else (0, self._ch._n)))
        if r:
            return self._ch._ts[r[0]:r[1]]
        return _readonly(self._ch._ts[self._numbers])

    def stacked(self):
        """All values as one read-only array of shape (N, ...) over the mapped file, without copying.

        Needs every record's body at a uniform stride with identical heads (same dtype and shape); raises
        ValueError saying which record breaks that otherwise (``stack()`` copies instead).
        """
        nums = self._nums()
        r = self._range()
        self._ch._verify(*(r if r else (0, self._ch._n)))
        return self._ch._batch_view(nums, explain=True)

    def stack(self):
        """All values copied into one new array of shape (N, ...) (same dtype and shape required)."""
        try:
            return np.array(self.stacked())
        except ValueError:
            pass
        values = [v for _, v in self]
        if self._ch.kind not in ("ndarray",):
            raise ValueError("channel %r: %s values do not stack into an array" % (self._ch.name, self._ch.kind))
        if not values:
            return np.zeros((0,), self._ch.dtype or np.float64)
        first = values[0]
        for k, v in enumerate(values):
            if v.dtype != first.dtype or v.shape != first.shape:
                raise ValueError("channel %r: record %d is %s%s, record 0 is %s%s: no common shape"
                                 % (self._ch.name, int(self._nums()[k]), v.dtype.str, v.shape, first.dtype.str,
                                    first.shape))
        return np.stack(values)

    def to_pandas(self, max_columns=64):
        """A pandas DataFrame indexed by UTC timestamps (DatetimeIndex, ns).

        Arrays of at most ``max_columns`` elements give one column per element (``[i]``, ``[i,j]``), struct
        channels one per field (and element of array fields); text, json and bytes channels one ``value``
        column of objects. Channels of larger or varying shapes raise ValueError.
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_pandas() needs pandas (Debian: apt install python3-pandas; "
                              "or pip install pandas)") from None
        ts = np.asarray(self.timestamps())
        index = pd.DatetimeIndex(pd.to_datetime(ts, unit="ns", utc=True), name="timestamp")
        ch = self._ch
        if ch.kind != "ndarray":
            if ch.kind == "bytes" or ch.kind == "raw":
                col = [bytes(v) for _, v in self]
            else:
                col = [v for _, v in self]
            return pd.DataFrame({"value": pd.Series(col, index=index, dtype=object)}, index=index)
        if len(self):
            first = self[0][1]
            width = first.size * sum(int(np.prod(first.dtype[f].shape or (1,))) for f in first.dtype.names) \
                if first.dtype.names else first.size
            if width > max_columns:
                raise ValueError("channel %r: records of %s %s give %d columns, over max_columns=%d (use stacked() "
                                 "or arrays() for large records)" % (ch.name, first.dtype, first.shape, width,
                                                                     max_columns))
        arr = self.stack()
        cols = {}

        def add(prefix, a):
            shape = a.shape[1:]
            if len(shape) == 0:
                cols[prefix or "value"] = a
                return
            flat = a.reshape(len(a), -1)
            for k, idx in enumerate(np.ndindex(*shape)):
                cols["%s[%s]" % (prefix, ",".join(map(str, idx)))] = flat[:, k]

        if arr.dtype.names:
            width = sum(int(np.prod(arr.dtype[f].shape or (1,))) for f in arr.dtype.names) * int(
                np.prod(arr.shape[1:]))
            if width > max_columns:
                raise ValueError("channel %r: %d columns exceed max_columns=%d" % (ch.name, width, max_columns))
            for f in arr.dtype.names:
                field = arr[f]
                if arr.ndim > 1 or field.ndim > 1:
                    add(f, field.reshape(len(arr), *field.shape[1:]))
                else:
                    cols[f] = field
        else:
            width = int(np.prod(arr.shape[1:]))
            if width > max_columns:
                raise ValueError("channel %r: records of shape %s (%d elements) exceed max_columns=%d"
                                 % (ch.name, arr.shape[1:], width, max_columns))
            add("", arr)
        return pd.DataFrame(cols, index=index)

    def __repr__(self):
        return "<tinman records of %r: %d>" % (self._ch.name, len(self))
