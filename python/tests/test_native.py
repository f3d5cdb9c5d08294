import json
import os
import struct
import warnings

import numpy as np
import pytest

import tinman
from conftest import HAVE_PANDAS, T0, ndarray_payload


def imu_channel(native, n=100, name="imu", ts=None, **kw):
    w = native(name, "ndarray\ndtype=<f8\n", **kw)
    values = np.arange(n * 6, dtype="<f8").reshape(n, 6) * 0.5
    for i in range(n):
        w.array(T0 + (ts[i] if ts is not None else 10 * i), values[i])
    return w, values


def test_listing(native, tmp_path):
    imu_channel(native, 5)
    w = native("notes", "text\nencoding=utf-8\n", metadata={"unit": "m/s", "frame.id": "base_link"})
    w.write(T0 + 7, "héllo".encode())
    (tmp_path / ".hidden.tinman").write_bytes(b"")
    (tmp_path / ".imu.tinman.0123456789abcdef.tmp").write_bytes(b"")
    log = tinman.open(str(tmp_path))
    assert log.names == ["imu", "notes"]
    infos = {i.name: i for i in log.channels}
    assert infos["imu"].records == 5 and infos["imu"].start == T0 and infos["imu"].end == T0 + 40
    assert infos["imu"].codec == "ndarray" and infos["imu"].dtype == np.dtype("<f8")
    assert infos["notes"].kind == "text" and infos["notes"].metadata == {"unit": "m/s", "frame.id": "base_link"}
    assert infos["notes"].status.clean
    with pytest.raises(KeyError):
        log["missing"]
    with pytest.raises(KeyError):
        log["../x"]


def test_random_access_zero_copy(native):
    w, values = imu_channel(native, 50)
    ch = tinman.open(w.path)
    assert len(ch) == 50 and ch.indexed_records == 50
    t, a = ch[17]
    assert t == T0 + 170 and np.array_equal(a, values[17])
    assert not a.flags.writeable and a.flags.aligned
    assert np.array_equal(ch[-1][1], values[-1])
    with pytest.raises(IndexError):
        ch[50]
    view = ch[10:20:3]
    assert len(view) == 4 and [t for t, _ in view] == [T0 + 100, T0 + 130, T0 + 160, T0 + 190]
    assert np.array_equal(view[1][1], values[13])
    assert [t for t, _ in ch] == [T0 + 10 * i for i in range(50)]


def test_seek_and_windows_match_the_running_maximum_rule(native):
    # timestamps that go backwards: the window follows docs/format.md "Seeking"
    ts = [0, 10, 20, 5, 30, 25, 40, 35, 50, 45, 60]
    w, values = imu_channel(native, len(ts), ts=ts)
    ch = tinman.open(w.path)
    mx = np.maximum.accumulate(ts)
    for t in range(-5, 70):
        want = next((i for i, v in enumerate(ts) if v >= t), len(ts))
        assert ch.seek(T0 + t) == want, t
    for a in range(-5, 70, 3):
        for b in range(a, 70, 4):
            start = next((i for i, v in enumerate(ts) if v >= a), len(ts))
            stop = max(start, next((i for i in range(len(ts)) if mx[i] >= b), len(ts)))
            want = [i for i in range(start, stop) if ts[i] >= a]
            got = ch.between(T0 + a, T0 + b)
            assert list(got.record_numbers) == want, (a, b)
            assert [t - T0 for t, _ in got] == [ts[i] for i in want]
    assert len(ch.between()) == len(ts)
    assert list(ch.between(None, T0 + 21).record_numbers) == [0, 1, 2, 3]
    dt = np.datetime64(T0 + 30, "ns")
    assert ch.seek(dt) == 4


def test_stacked_and_timestamps_are_views(native):
    w, values = imu_channel(native, 200)
    ch = tinman.open(w.path)
    s = ch.stacked()
    assert s.shape == (200, 6) and np.array_equal(s, values)
    assert not s.flags.writeable and not s.flags.owndata
    assert s.base is not None and np.shares_memory(s, ch[0][1])
    ts = ch.timestamps()
    assert np.array_equal(ts, T0 + 10 * np.arange(200)) and ts.strides == (32,) and not ts.flags.writeable
    w2 = ch.between(T0 + 500, T0 + 1000)
    assert np.array_equal(w2.stacked(), values[50:100])
    assert np.array_equal(w2.timestamps(), T0 + 10 * np.arange(50, 100))
    batches = list(ch.arrays(batch=64))
    assert [len(t) for t, _ in batches] == [64, 64, 64, 8]
    assert np.array_equal(np.concatenate([v for _, v in batches]), values)


def test_stacked_refuses_non_uniform_and_stack_copies(native):
    w = native("v", "ndarray\n")
    w.array(T0, np.arange(6.0))
    w.array(T0 + 1, np.arange(6.0) + 1)
    w.array(T0 + 2, np.arange(6, dtype="<f4"))  # same payload stride is impossible: another dtype
    ch = tinman.open(w.path)
    with pytest.raises(ValueError, match="record 2"):
        ch.stacked()
    with pytest.raises(ValueError, match="record 2 is <f4"):
        ch.stack()
    assert np.array_equal(ch[:2].stack(), [np.arange(6.0), np.arange(6.0) + 1])
    w2 = native("shapes", "ndarray\ndtype=<i4\n")
    w2.array(T0, np.arange(4, dtype="<i4").reshape(2, 2))
    w2.array(T0 + 1, np.arange(4, dtype="<i4").reshape(1, 4))
    with pytest.raises(ValueError, match="another dtype or shape"):
        tinman.open(w2.path).stacked()


def test_zero_d_records_iterate_as_arrays(native):
    w = native("s", "ndarray\ndtype=<f8\n")
    for i in range(5):
        w.array(T0 + i, np.array(i * 1.5))
    ch = tinman.open(w.path)
    got = list(ch)
    assert all(isinstance(v, np.ndarray) and v.shape == () for _, v in got)
    assert [float(v) for _, v in got] == [i * 1.5 for i in range(5)]
    assert ch.stacked().shape == (5,)


def test_follow_a_growing_channel(native):
    w, values = imu_channel(native, 10)
    ch = tinman.open(w.path)
    assert len(ch) == 10
    more = np.arange(6.0) + 100
    for i in range(10, 15):
        w.array(T0 + 10 * i, more)
    # a record being written: its header claims bytes not yet in the file
    head, body = ndarray_payload(more)
    rec = w.record_bytes(T0 + 150, head, body, 64)
    with open(w.path, "ab") as f:
        f.write(rec[:len(rec) - 5])
    assert ch.refresh() == 15
    assert ch.status.stop == "torn" and len(ch) == 15
    assert np.array_equal(ch[14][1], more)
    with open(w.path, "ab") as f:
        f.write(rec[len(rec) - 5:])
    w.offset += len(rec)
    w.count += 1
    w.indexing = False  # the index lags behind the records from here on
    assert ch.refresh() == 16 and ch.status.clean
    assert ch.indexed_records == 15  # the last record was found by scanning past the index
    assert ch[15][0] == T0 + 150
    assert np.array_equal(ch.timestamps(), T0 + 10 * np.arange(16))
    # a Log hands out its channels refreshed
    log = tinman.open(os.path.dirname(w.path))
    c = log["imu"]
    w.array(T0 + 160, more)
    assert len(log["imu"]) == 17 and log["imu"] is c


def test_struct_channel(native):
    dt = np.dtype({"names": ["ax", "ay", "rot", "status"], "formats": ["<f8", "<f8", "(3,)<f4", "<i4"],
                   "offsets": [0, 8, 16, 32], "itemsize": 40})
    spec = json.dumps({"names": list(dt.names), "formats": ["<f8", "<f8", "(3,)<f4", "<i4"],
                       "offsets": [0, 8, 16, 32], "itemsize": 40}, separators=(",", ":"))
    w = native("pose", "ndarray\ndtype=|V40\nstruct=%s\n" % spec)
    recs = np.zeros(4, dt)
    recs["ax"] = [1, 2, 3, 4]
    recs["rot"][:, 1] = 7
    recs["status"] = [0, 1, 0, 1]
    for i in range(4):
        w.array(T0 + i, recs[i:i + 1].view("|V40")[0] if False else np.frombuffer(recs[i].tobytes(), "|V40")[0:1]
                .reshape(()))
    w.array(T0 + 4, np.frombuffer(recs.tobytes(), "|V40").reshape(2, 2))  # an array of structs
    ch = tinman.open(w.path)
    assert ch.dtype == dt
    t, v = ch[1]
    assert v.shape == () and v.dtype == dt and v["ax"] == 2 and v["status"] == 1 and list(v["rot"]) == [0, 7, 0]
    assert ch[4][1].shape == (2, 2) and ch[4][1]["ax"][1, 1] == 4
    s = ch[:4].stacked()
    assert s.dtype == dt and np.array_equal(s["ax"], [1, 2, 3, 4])
    if HAVE_PANDAS:
        df = ch[:4].to_pandas()
        assert list(df.columns) == ["ax", "ay", "rot[0]", "rot[1]", "rot[2]", "status"]
        assert list(df["status"]) == [0, 1, 0, 1]


def test_text_json_bytes_and_unknown_codecs(native):
    t = native("log", "text\nencoding=utf-8\n")
    t.write(T0, "grüße".encode())
    t.write(T0 + 1, b"")
    j = native("events", "json\ncontent_type=application/json\n")
    j.write(T0, b'{"a":[1,2],"b":"x"}')
    j.write(T0 + 1, b"3")
    b = native("blob", "bytes\n")
    b.write(T0, b"\x00\x01\x02", align=8)
    u = native("zz", "compressed_ndarray\ndtype=<f8\ncompression=zstd\nfilter=none\n")
    u.write(T0, b"\x01\x02\x03")
    log = tinman.open(os.path.dirname(t.path))
    assert [v for _, v in log["log"]] == ["grüße", ""]
    assert [v for _, v in log["events"]] == [{"a": [1, 2], "b": "x"}, 3]
    v = log["blob"][0][1]
    assert isinstance(v, memoryview) and v.readonly and bytes(v) == b"\x00\x01\x02"
    with pytest.warns(tinman.UnknownCodecWarning, match="compressed_ndarray"):
        z = log["zz"]
    assert z.kind == "raw" and bytes(z[0][1]) == b"\x01\x02\x03"
    with pytest.raises(ValueError, match="text values are not arrays"):
        log["log"].stacked()
    if HAVE_PANDAS:
        df = log["events"].to_pandas()
        assert list(df["value"]) == [{"a": [1, 2], "b": "x"}, 3]


def test_metadata_is_checked(native):
    w = native("m", "bytes\n", metadata={"k": "v"})
    w.write(T0, b"x")
    assert tinman.open(w.path).metadata == {"k": "v"}
    data = bytearray(open(w.path, "rb").read())
    data[64 + len("bytes\n")] ^= 1  # inside the metadata block: header_crc catches it first
    open(w.path, "wb").write(bytes(data))
    with pytest.raises(tinman.FormatError, match="checksum"):
        tinman.open(w.path)


def test_to_pandas_without_pandas(native, monkeypatch):
    w, _ = imu_channel(native, 2)
    monkeypatch.setitem(__import__("sys").modules, "pandas", None)
    with pytest.raises(ImportError, match="to_pandas\\(\\) needs pandas"):
        tinman.open(w.path).to_pandas()


@pytest.mark.skipif(not HAVE_PANDAS, reason="pandas is not installed")
def test_to_pandas(native):
    w, values = imu_channel(native, 20)
    df = tinman.open(w.path).to_pandas()
    assert str(df.index.tz) == "UTC" and df.index.dtype == "datetime64[ns, UTC]"
    assert df.index[0].value == T0 and list(df.columns) == ["[%d]" % i for i in range(6)]
    assert np.array_equal(df.to_numpy(), values)
    big = native("big", "ndarray\ndtype=<f8\n")
    big.array(T0, np.zeros(65))
    with pytest.raises(ValueError, match="max_columns"):
        tinman.open(big.path).to_pandas()


def test_header_checks(native, tmp_path):
    w, _ = imu_channel(native, 2)
    data = open(w.path, "rb").read()
    bad = tmp_path / "bad.tinman"
    for pos, what in [(0, "magic"), (8, "version"), (70, "checksum")]:
        b = bytearray(data)
        b[pos] ^= 0x40
        bad.write_bytes(bytes(b))
        with pytest.raises(tinman.FormatError, match=what):
            tinman.open(str(bad))
    bad.write_bytes(data[:40])
    with pytest.raises(tinman.FormatError, match="no header"):
        tinman.open(str(bad))
    os.symlink(w.path, str(tmp_path / "link.tinman"))
    with pytest.raises(tinman.FormatError, match="symlink"):
        tinman.open(str(tmp_path / "link.tinman"))


def test_text_encoding_parameter(native):
    w = native("latin", "text\nencoding=latin-1\n")
    w.write(T0, "café".encode("latin-1"))
    assert tinman.open(w.path)[0][1] == "café"
    bad = native("bad", "text\nencoding=no-such-encoding\n")
    with pytest.raises(tinman.FormatError, match="unknown text encoding"):
        tinman.open(bad.path)


def test_refresh_keeps_verified_chunks_and_rechecks_new_entries(native):
    w, values = imu_channel(native, 30)
    ch = tinman.open(w.path)
    assert np.array_equal(ch.stacked(), values)
    w.array(T0 + 300, values[0])
    ch.refresh()
    assert len(ch) == 31 and ch.indexed_records == 31
    # damage a new record's payload: its entry is checked when used, though older chunks were verified
    off = struct.unpack_from("<Q", open(w.index_path, "rb").read(), 64 + 32 * 30 + 16)[0]
    with open(w.path, "r+b") as f:
        f.seek(off + 70)
        b = f.read(1)
        f.seek(off + 70)
        f.write(bytes([b[0] ^ 1]))
    ch.refresh()
    assert len(ch) == 30 and ch.status.stop == "corrupt"  # the last record is verified whole


def test_times_as_datetimes(native):
    import datetime
    w, _ = imu_channel(native, 10)
    ch = tinman.open(w.path)
    utc = datetime.timezone.utc
    t = datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=utc)  # T0
    assert ch.seek(t) == 0 and ch.seek(t + datetime.timedelta(microseconds=1)) == 10
    assert len(ch.between(np.datetime64(T0 + 20, "ns"), np.datetime64(T0 + 50, "ns"))) == 3
    with pytest.raises(ValueError, match="naive"):
        ch.seek(datetime.datetime(2023, 11, 14))
    if HAVE_PANDAS:
        import pandas as pd
        assert ch.seek(pd.Timestamp(T0 + 31, tz="UTC")) == 4


def test_refresh_after_the_channel_was_replaced(native, tmp_path):
    w, values = imu_channel(native, 40)
    ch = tinman.open(w.path)
    old = ch.stacked()
    other = tmp_path / "other"
    other.mkdir()
    from conftest import NativeWriter
    w2 = NativeWriter(str(other), "imu", "ndarray\ndtype=<f8\n")
    for i in range(3):
        w2.array(T0 + 5000 + i, values[i] + 1)
    os.replace(w2.index_path, w.index_path)  # as OpenMode::truncate does: index first, then the channel
    os.replace(w2.path, w.path)
    assert ch.refresh() == 3
    assert [t for t, _ in ch] == [T0 + 5000, T0 + 5001, T0 + 5002]
    assert np.array_equal(ch.stacked(), values[:3] + 1)
    assert np.array_equal(old, values)  # views of the old mapping stay valid


def test_follow_yields_records_as_they_are_written(native, tmp_path):
    import threading
    import time
    w, values = imu_channel(native, 5)
    ch = tinman.open(w.path)

    def writer():
        for i in range(5, 25):
            if i % 5 == 0:
                time.sleep(0.05)
            w.array(T0 + 10 * i, values[i % 5])

    th = threading.Thread(target=writer)
    th.start()
    got = [t for t, _ in ch.follow(start=2, interval=0.01, idle_timeout=2.0)]
    th.join()
    assert got == [T0 + 10 * i for i in range(2, 25)]
    with pytest.raises(TypeError):
        next(ch[1:3].follow())
    b = tmp_path / "f.blog"
    from conftest import write_blog
    write_blog(str(b), [(T0, np.arange(2.0))])
    bc = tinman.open(str(b))
    with open(str(b), "ab") as f:
        f.write(struct.pack("<QQ", T0 + 1, 3) + b"abc"[:2])  # torn: not yielded
    assert [t for t, _ in bc.follow(start=0, interval=0.01, idle_timeout=0.1)] == [T0]


def test_struct_descriptor_as_agreed(native):
    # the descriptor exactly as the struct channel writers emit it (a gap before "status")
    spec = '{"names":["ax","ay","status"],"formats":["<f8","<f8","<i4"],"offsets":[0,8,48],"itemsize":56}'
    w = native("s", "ndarray\ndtype=|V56\nstruct=%s\n" % spec, metadata={"note": "a=b c", "empty": ""})
    raw = bytearray(56)
    struct.pack_into("<dd", raw, 0, 1.5, -2.0)
    struct.pack_into("<i", raw, 48, 7)
    head, body = ndarray_payload(np.frombuffer(bytes(raw), "|V56").reshape(()))
    w.write(T0, head, body, 8)
    ch = tinman.open(w.path)
    assert ch.metadata == {"note": "a=b c", "empty": ""}
    v = ch[0][1]
    assert v.dtype.names == ("ax", "ay", "status") and v.dtype.itemsize == 56
    assert (float(v["ax"]), float(v["ay"]), int(v["status"])) == (1.5, -2.0, 7)
    bad = native("bad", "ndarray\ndtype=|V56\nstruct=%s\n" % spec.replace("56}", "64}"))
    with pytest.raises(tinman.FormatError, match="does not match"):
        tinman.open(bad.path)
