"""Checks examples/python/tinman_numpy.py against logs written by the C++ library.

1. CRC32C: the module's pure-Python CRC32C equals the C++ one (python_interop_bridge
   crc32c) on the standard check value and on random inputs of many lengths.
2. The C++ library writes channels (python_interop_bridge native-write); the module
   yields the same values, as read-only views of the mmap (no copy), aligned.
3. Damage: a torn tail stops iteration after the intact records; a flipped bit in a
   small payload is caught; in a large payload only with verify_all=True; a bad
   header is refused; strict=True raises.

usage: native_numpy_check.py PYTHON_INTEROP_BRIDGE EXAMPLES_PYTHON_DIR SCRATCH_DIR
"""
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile

import numpy as np

T0 = 1_700_000_000_000_000_000


def sample(dtype, shape):
    dt = np.dtype(dtype)
    i = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64)
    if dt.kind == "f":
        v = i.astype(dt) * dt.type(0.5) - dt.type(7)
    elif dt.kind == "c":
        v = (i * 7 + 3).astype(dt)
    else:
        v = (i * 7 + 3).astype(dt)
    return v.reshape(shape)


def check_crc(tn, bridge, scratch):
    assert tn.crc32c(b"123456789") == 0xE3069283, hex(tn.crc32c(b"123456789"))
    rng = np.random.default_rng(11)
    files, want = [], []
    # up to 16 KiB byte by byte; above, numpy lanes combined (several lane counts and remainders)
    for n in list(range(0, 70)) + [255, 256, 1000, 4096, 4097, 16383, 16384, 16385, 65536 + 13, 300001,
                                   (1 << 20) + 7, (5 << 20) + 3]:
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        path = os.path.join(scratch, "crc_%d.bin" % n)
        with open(path, "wb") as f:
            f.write(data)
        files.append(path)
        want.append(tn.crc32c(data))
        # continuing a CRC over a split equals the CRC of the whole
        assert tn.crc32c(data[n // 3:], tn.crc32c(data[:n // 3])) == want[-1]
    got = subprocess.run([bridge, "crc32c"] + files, check=True, capture_output=True, text=True).stdout.split()
    assert [int(g, 16) for g in got] == want, "CRC32C differs from the C++ library's"
    print("CRC32C agrees with C++ on %d inputs" % len(files))


def expected_channels():
    f8 = [sample("<f8", s) for s in [(), (5,), (0,), (3, 4), (2, 3, 4), (1000,), (100, 100)]]
    u1 = [sample("|u1", (n,)) for n in (1, 3, 64, 7)]
    mixed = [sample("<f4", (2, 2)), sample("<i4", (3,)), np.array([1, 256], dtype=">i4"), sample("<c16", (2,))]
    return {"f8": f8, "u1": u1, "mixed": mixed}


def check_values(tn, log):
    assert tn.channel_names(log) == ["f8", "mixed", "text", "u1"], tn.channel_names(log)
    t = T0
    checked = 0
    for name, arrays in expected_channels().items():
        with tn.open_channel(log, name) as ch:
            got = list(ch)
            assert ch.status.clean, ch.status
            assert ch.status.records == len(arrays)
            assert len(got) == len(arrays)
            for (ts, arr), want in zip(got, arrays):
                assert ts == t, (name, ts, t)
                t += 1
                assert arr.dtype == want.dtype and arr.shape == want.shape, (name, arr.dtype, arr.shape)
                assert np.array_equal(arr, want), (name, arr, want)
                # zero-copy: a read-only view whose memory belongs to the mmap
                assert not arr.flags.writeable
                assert not arr.flags.owndata
                base = arr
                while isinstance(base, np.ndarray):
                    base = base.base
                if isinstance(base, memoryview):  # np.frombuffer keeps a memoryview of the buffer it was given
                    base = base.obj
                assert base is ch._map, type(base)  # the channel's own mmap: no copy anywhere
                assert arr.flags.aligned
                checked += 1
            with np.testing.assert_raises(ValueError):
                got[-1][1][...] = 0  # writing through a view is refused
    # Array data of 64 bytes or more starts at a 64-byte-aligned file offset.
    with tn.open_channel(log, "f8") as ch:
        for ts, offset, start, payload in ch.records():
            dlen = int.from_bytes(payload[:4], "little")
            ndim = int.from_bytes(payload[4 + dlen:8 + dlen], "little")
            data_offset = start + 8 + dlen + 8 * ndim
            if len(payload) - (8 + dlen + 8 * ndim) >= 64:
                assert data_offset % 64 == 0, data_offset
    with tn.open_channel(log, "text") as ch:
        assert ch.codec == "bytes"
        assert [bytes(p) for _, _, _, p in ch.records()] == [b"hello"]
        try:
            list(ch)
            raise AssertionError("a bytes channel read as arrays")
        except ValueError as e:
            assert "not ndarray" in str(e)
    print("numpy read %d C++-written records zero-copy (read-only mmap views, aligned)" % checked)


def damaged_copy(log, scratch, name, edit):
    d = tempfile.mkdtemp(dir=scratch)
    src = os.path.join(log, name + ".tinman")
    data = bytearray(open(src, "rb").read())
    data = edit(data)
    with open(os.path.join(d, name + ".tinman"), "wb") as f:
        f.write(data)
    return d


def record_offsets(tn, log, name):
    with tn.open_channel(log, name) as ch:
        return [(offset, start, len(p)) for _, offset, start, p in ch.records()]


def check_damage(tn, log, scratch):
    recs = record_offsets(tn, log, "f8")
    size = os.path.getsize(os.path.join(log, "f8.tinman"))
    # every cut inside the last two records stops after the intact ones
    for cut in list(range(recs[-2][0], recs[-2][0] + 200)) + [size - 1, recs[-1][0] + 33]:
        d = damaged_copy(log, scratch, "f8", lambda b: b[:cut])
        with tn.open_channel(d, "f8") as ch:
            n = sum(1 for _ in ch)
            boundary = any(s + l == cut for o, s, l in recs)
            assert ch.status.stop == ("end" if boundary else "torn"), (cut, ch.status)
            assert n == sum(1 for o, s, l in recs if s + l <= cut), (cut, n)
            assert ch.status.intact_end <= cut
        if not boundary:
            try:
                list(tn.read_channel(d, "f8", strict=True))
                raise AssertionError("strict read of a torn channel did not raise")
            except ValueError as e:
                assert "offset" in str(e)
        shutil.rmtree(d)
    # a bit flip in a small payload (record 1) is caught by default
    o, s, l = recs[1]
    d = damaged_copy(log, scratch, "f8", lambda b: b[:s + l - 1] + bytes([b[s + l - 1] ^ 1]) + b[s + l:])
    with tn.open_channel(d, "f8") as ch:
        assert sum(1 for _ in ch) == 1
        assert ch.status.stop == "corrupt" and "payload checksum" in ch.status.reason, ch.status
    # in a large payload (record 5, 8000 bytes) only when asked to verify everything, as in C++
    o, s, l = recs[5]
    assert l > 4096
    d = damaged_copy(log, scratch, "f8", lambda b: b[:s + l - 1] + bytes([b[s + l - 1] ^ 1]) + b[s + l:])
    with tn.open_channel(d, "f8") as ch:
        assert sum(1 for _ in ch) == len(recs) and ch.status.clean
    with tn.open_channel(d, "f8", verify_all=True) as ch:
        assert sum(1 for _ in ch) == 5 and ch.status.stop == "corrupt", ch.status
    # a record header bit flip
    d = damaged_copy(log, scratch, "f8", lambda b: b[:recs[2][0] + 3] + bytes([b[recs[2][0] + 3] ^ 0x10]) + b[recs[2][0] + 4:])
    with tn.open_channel(d, "f8") as ch:
        assert sum(1 for _ in ch) == 2 and ch.status.stop == "corrupt" and "header checksum" in ch.status.reason
    # file header damage is refused outright
    for pos in (0, 9, 12, 21, 64):
        d = damaged_copy(log, scratch, "f8", lambda b: b[:pos] + bytes([b[pos] ^ 1]) + b[pos + 1:])
        try:
            tn.open_channel(d, "f8")
            raise AssertionError("damaged header at %d accepted" % pos)
        except ValueError:
            pass
    # hostile but checksummed payloads (a bad dtype, a size mismatch) raise ValueError naming the record
    def rewrite_record_1(b, edit):
        o, st, l = recs[1]
        payload = edit(bytearray(b[st:st + l]))
        assert len(payload) == l
        b[st:st + l] = payload
        b[o + 20:o + 24] = struct.pack("<I", tn.crc32c(bytes(payload)))
        b[o + 28:o + 32] = struct.pack("<I", tn.crc32c(bytes(b[o:o + 28])))
        return b
    for edit, why in [(lambda p: p[:4] + b"<x8" + p[7:], "malformed dtype"),
                      (lambda p: p[:4] + b"<f4" + p[7:], "array data is"),
                      (lambda p: p[:4] + b"|O8" + p[7:], "object arrays")]:
        d = damaged_copy(log, scratch, "f8", lambda b: rewrite_record_1(b, edit))
        with tn.open_channel(d, "f8") as ch:
            it = iter(ch)
            next(it)
            try:
                next(it)
                raise AssertionError("hostile payload accepted: " + why)
            except ValueError as e:
                assert "record 1 (offset %d)" % recs[1][0] in str(e) and why in str(e), str(e)
    print("torn tails, corrupt payloads and headers detected as the C++ reader does")


def check_last_record(tn, log, scratch):
    # The last record is verified whole whatever its size, as in C++: zeros a power
    # loss left at the end of its payload (the file size kept) are not data.
    recs = record_offsets(tn, log, "f8")
    o, s, l = recs[-1]
    assert l > 4096 and s + l == os.path.getsize(os.path.join(log, "f8.tinman"))
    d = damaged_copy(log, scratch, "f8", lambda b: b[:s + l - 100] + bytes(100))
    with tn.open_channel(d, "f8") as ch:
        assert sum(1 for _ in ch) == len(recs) - 1 and ch.status.stop == "corrupt", ch.status
    print("the last record is verified whole")


def check_refusals(tn, log, scratch):
    # A FIFO or a symlink in a channel's place is refused, never waited on or followed.
    d = tempfile.mkdtemp(dir=scratch)
    os.mkfifo(os.path.join(d, "fifo.tinman"))
    os.symlink(os.path.abspath(os.path.join(log, "f8.tinman")), os.path.join(d, "link.tinman"))
    signal.alarm(20)  # a reader that waits on the FIFO fails here instead of hanging
    for name in ("fifo", "link"):
        try:
            tn.open_channel(d, name)
            raise AssertionError(name + " in a channel's place was opened")
        except ValueError as e:
            assert "not a regular file" in str(e), str(e)
    signal.alarm(0)
    print("FIFOs and symlinks in a channel's place are refused")


def main():
    bridge, module_dir, scratch_root = sys.argv[1], sys.argv[2], sys.argv[3]
    sys.path.insert(0, module_dir)
    import tinman_numpy as tn
    scratch = tempfile.mkdtemp(dir=scratch_root)
    try:
        log = os.path.join(scratch, "log")
        subprocess.run([bridge, "native-write", log], check=True)
        check_crc(tn, bridge, scratch)
        check_values(tn, log)
        check_damage(tn, log, scratch)
        check_last_record(tn, log, scratch)
        check_refusals(tn, log, scratch)
    finally:
        shutil.rmtree(scratch)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
