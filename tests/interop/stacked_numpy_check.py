"""Checks tinman_numpy.stacked(): a whole channel as one strided ndarray over the mmap.

1. Uniform channels written by the C++ library (stacked_bridge write): the view equals
   np.stack over read_channel, is read-only and shares the mmap (no copy); the
   timestamps equal the records'; C++'s stacked() sums the same values.
2. Every check level ("claim", "headers", "payloads") gives the same result; without
   an index file the headers are walked, and timestamps come from the channel file
   when record 0's header is on the stride (8 doubles), else a clear error (9 doubles).
3. Refusals naming the record: a shape change, irregular padding (a file written here
   byte by byte), damage; a torn tail leaves the intact records.

usage: stacked_numpy_check.py STACKED_BRIDGE EXAMPLES_PYTHON_DIR SCRATCH_DIR
"""
import os
import shutil
import struct
import subprocess
import sys

import numpy as np


def reference(tn, d, name):
    pairs = list(tn.read_channel(d, name))
    return np.array([t for t, _ in pairs], dtype=np.int64), np.stack([a for _, a in pairs])


def expect_error(fn, *needles):
    try:
        fn()
    except ValueError as e:
        for n in needles:
            assert n in str(e), (n, str(e))
        return str(e)
    raise AssertionError("no error")


def main(bridge, examples, scratch):
    sys.path.insert(0, examples)
    import tinman_numpy as tn

    d = os.path.join(scratch, "log")
    shutil.rmtree(d, ignore_errors=True)
    n = 2000
    subprocess.run([bridge, "write", d, str(n)], check=True)

    for name in ("imu", "rows9", "scalars", "grid"):
        want_t, want = reference(tn, d, name)
        for check in ("claim", "headers", "payloads"):
            t, v = tn.stacked(d, name, check=check)
            assert v.shape == want.shape and v.dtype == want.dtype, (name, v.shape, want.shape)
            assert np.array_equal(v, want), name
            assert np.array_equal(t, want_t), name
            assert not v.flags.writeable and not v.flags.owndata and not t.flags.writeable, name
            assert isinstance(v.base, __import__("mmap").mmap), (name, type(v.base))
    t, v = tn.stacked(d, "imu")
    assert v.strides[0] == 128 and v.shape == (n, 8), v.strides  # 32 + 19 + 64 rounded up to 64
    for name in ("imu", "rows9"):
        out = subprocess.run([bridge, "sum", d, name], check=True, capture_output=True, text=True).stdout.split()
        t, v = tn.stacked(d, name)
        assert int(out[0]) == n and float(out[1]) == float(v.sum()) and int(out[2]) == int(t.sum()), (name, out)

    expect_error(lambda: tn.stacked(d, "changing"), "record 6", "(4,)", "np.stack")

    # Without the index file: headers are walked.
    nd = os.path.join(scratch, "noindex")
    shutil.rmtree(nd, ignore_errors=True)
    os.makedirs(nd)
    for name in ("imu", "rows9"):
        shutil.copy(os.path.join(d, name + ".tinman"), nd)
    t, v = tn.stacked(nd, "imu")
    assert np.array_equal(v, reference(tn, d, "imu")[1]) and np.array_equal(t, reference(tn, d, "imu")[0])
    assert t.base is not None and t.strides == (128,)
    expect_error(lambda: tn.stacked(nd, "rows9"), "timestamps are not at one stride")

    # Torn tail: the index no longer covers the file; the intact records remain.
    path = os.path.join(nd, "imu.tinman")
    os.truncate(path, os.path.getsize(path) - 10)
    t, v = tn.stacked(nd, "imu")
    assert v.shape == (n - 1, 8) and t[-1] == 1000 + 10 * (n - 2)

    # Mid-file damage: a header byte of record 5 flipped.
    data = bytearray(open(os.path.join(d, "imu.tinman"), "rb").read())
    (records_offset,) = struct.unpack_from("<I", data, 12)
    data[records_offset + 5 * 128 + 9] ^= 1
    with open(path, "wb") as f:
        f.write(data)
    expect_error(lambda: tn.stacked(nd, "imu"), "record 5", "damaged")

    # Irregular padding, written byte by byte: record 4 has 64 more bytes of padding.
    head = bytes(data[:records_offset])
    out = bytearray(head)
    for i in range(10):
        values = np.arange(9, dtype="<f8") + i
        payload = struct.pack("<I3sIQ", 3, b"<f8", 1, 9) + values.tobytes()
        h = len(payload) - values.nbytes
        pad = (64 - (len(out) + 32 + h) % 64) % 64 + (64 if i == 4 else 0)
        header = struct.pack("<qQIII", 100 + i, len(payload), pad, tn.crc32c(payload), 0)
        out += header + struct.pack("<I", tn.crc32c(header)) + bytes(pad) + payload
    with open(os.path.join(nd, "odd.tinman"), "wb") as f:
        f.write(out)
    expect_error(lambda: tn.stacked(nd, "odd"), "record 4", "irregular")
    assert len(list(tn.read_channel(nd, "odd"))) == 10  # record by record it reads
    print("stacked_numpy_check: ok")


if __name__ == "__main__":
    main(*sys.argv[1:4])
