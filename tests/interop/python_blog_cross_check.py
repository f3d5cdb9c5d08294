"""Cross-checks the C++ Python-tinman (.blog) reader and writer against the
documented facts (../shared/reference/python-tinman.md), using only struct,
pickle and numpy:

1. The codec record: pickle.dumps of a class tinman.codecs.numpy.NumpyArrayCodec
   (a stand-in module made here) is the 57 bytes the C++ library writes.
2. Python builds .blog files (<QQ framing, pickled codec, NumpyArrayCodec
   payloads at whatever alignment they land, big-endian, 0-d and empty arrays,
   a torn tail); the C++ reader (python_interop_bridge blog-read) must print the
   same timestamps, dtypes, shapes and values, and say "view" exactly for the
   records whose data is aligned and native-endian.
3. The C++ writer (python_interop_bridge blog-write) produces, byte for byte, the
   files Python tinman would write for the same arrays, and they decode with
   np.frombuffer as Python tinman's ObLogReader does.
4. `tinman convert` turns a Python log into a tinman log and back, byte-identical;
   `tinman cat` reads .blog channels and refuses unknown codecs.

usage: python_blog_cross_check.py PYTHON_INTEROP_BRIDGE TINMAN_CLI SCRATCH_DIR
"""
import os
import pickle
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

HEADER = struct.Struct("<QQ")


def make_codec_module(root):
    pkg = os.path.join(root, "tinman", "codecs")
    os.makedirs(pkg)
    for d in (os.path.join(root, "tinman"), pkg):
        open(os.path.join(d, "__init__.py"), "w").close()
    with open(os.path.join(pkg, "numpy.py"), "w") as f:
        f.write("class NumpyArrayCodec:\n    pass\n")
    sys.path.insert(0, root)
    from tinman.codecs.numpy import NumpyArrayCodec
    return NumpyArrayCodec


def encode(arr):
    s = arr.dtype.str.encode("ascii")
    return struct.pack("<I", len(s)) + s + struct.pack("<I", arr.ndim) + \
        struct.pack("<%dQ" % arr.ndim, *arr.shape) + arr.tobytes()


def blog_bytes(codec_pickle, codec_ts, records):
    out = HEADER.pack(codec_ts, len(codec_pickle)) + codec_pickle
    for ts, arr in records:
        p = encode(arr)
        out += HEADER.pack(ts, len(p)) + p
    return out


def read_blog(path, codec_class):
    """Python tinman's ObLogReader, as the facts describe it: mmap, <QQ, unpickle, np.frombuffer."""
    data = open(path, "rb").read()
    pos, out = 0, []
    while pos < len(data):
        ts, n = HEADER.unpack_from(data, pos)
        assert pos + 16 + n <= len(data), "truncated"
        out.append((ts, data[pos + 16:pos + 16 + n]))
        pos += 16 + n
    assert isinstance(pickle.loads(out[0][1]), codec_class)
    arrays = []
    for ts, p in out[1:]:
        (dlen,) = struct.unpack_from("<I", p, 0)
        dt = np.dtype(p[4:4 + dlen].decode("ascii"))
        (ndim,) = struct.unpack_from("<I", p, 4 + dlen)
        shape = struct.unpack_from("<%dQ" % ndim, p, 8 + dlen)
        arr = np.frombuffer(p, dt, offset=8 + dlen + 8 * ndim).reshape(shape)
        arrays.append((ts, arr))
    return out[0][0], arrays


def sample(dtype, shape):
    dt = np.dtype(dtype)
    i = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64)
    v = i.astype(dt) * dt.type(0.5) - dt.type(7) if dt.kind == "f" else (i * 7 + 3).astype(dt)
    return v.reshape(shape)


def check_pickle(codec_class):
    p = pickle.dumps(codec_class(), protocol=4)
    assert len(p) == 57, len(p)
    return p


def check_cpp_reads(bridge, scratch, codec_pickle):
    d = os.path.join(scratch, "py_written")
    os.makedirs(d)
    rng = np.random.default_rng(5)
    dtypes = ["|b1", "|i1", "<i2", "<i4", "<i8", "|u1", "<u2", "<u4", "<u8", "<f2", "<f4", "<f8", "<c8", "<c16",
              ">i2", ">i4", ">f4", ">f8", ">c16"]
    shapes = [(), (5,), (0,), (3, 4), (2, 3, 1), (17,)]
    expected = []  # (channel, index, ts, arr, data file offset)
    for k, dtype in enumerate(dtypes):
        name = "ch%02d" % k
        records = []
        t = int(rng.integers(1, 2**62))
        for shape in shapes:
            dt = np.dtype(dtype)
            n = int(np.prod(shape, dtype=np.int64))
            if dt.kind == "b":
                a = rng.integers(0, 2, n).astype(bool)
            elif dt.kind in "iu":
                a = rng.integers(np.iinfo(dt).min, np.iinfo(dt).max, n, endpoint=True,
                                 dtype=np.int64 if dt.kind == "i" else np.uint64)
            elif dt.kind == "c":
                a = rng.standard_normal(n) + 1j * rng.standard_normal(n)
            else:
                a = rng.standard_normal(n) * 100
            records.append((t, np.asarray(a).astype(dt).reshape(shape)))
            t += int(rng.integers(1, 10**9))
        data = blog_bytes(codec_pickle, records[0][0] - 1, records)
        with open(os.path.join(d, name + ".blog"), "wb") as f:
            f.write(data)
        pos = 16 + len(codec_pickle)
        for i, (ts, a) in enumerate(records):
            payload_at = pos + 16
            data_at = payload_at + 8 + len(a.dtype.str) + 8 * a.ndim
            expected.append((name, i + 1, ts, a, data_at))
            pos = payload_at + len(encode(a))
    # a torn tail: the last record cut short
    torn = blog_bytes(codec_pickle, 1, [(2, sample("<f8", (4,))), (3, sample("<f8", (4,)))])
    with open(os.path.join(d, "torn.blog"), "wb") as f:
        f.write(torn[:-5])

    out = subprocess.run([bridge, "blog-read", d], check=True, capture_output=True, text=True).stdout.splitlines()
    torn_lines = [l for l in out if l.startswith("torn")]
    lines = [l for l in out if not l.startswith("torn")]
    assert len(lines) == len(expected), (len(lines), len(expected))
    views = 0
    for line, (name, index, ts, a, data_at) in zip(lines, expected):
        got = line.split(" ")
        assert got[0] == name and int(got[1]) == index and int(got[2]) == ts, (line, name, index, ts)
        assert got[3] == a.dtype.str, (line, a.dtype.str)
        assert got[4] == "(" + "".join("%d," % x for x in a.shape) + ")", (line, a.shape)
        viewable = a.dtype.isnative and data_at % a.dtype.alignment == 0
        assert got[5] == ("view" if viewable else "copy"), (line, data_at, a.dtype.alignment)
        views += viewable
        native = a.astype(a.dtype.newbyteorder("<"))
        assert got[6] == (native.tobytes().hex() or "-"), (line, a)
    assert torn_lines[0].startswith("torn 1 2 <f8 (4,) ") and "truncated data" in torn_lines[-1], torn_lines
    print("C++ read %d Python-built records (%d as views, %d copied) and stopped at the torn tail"
          % (len(expected), views, len(expected) - views))
    return d


def check_cpp_writes(bridge, scratch, codec_pickle, codec_class):
    d = os.path.join(scratch, "cpp_written")
    subprocess.run([bridge, "blog-write", d], check=True)
    t = 1_700_000_000_000_000_001
    records = {
        "f8": (t - 1, [(t + i, sample("<f8", s)) for i, s in enumerate([(), (5,), (0,), (3, 4), (2, 3, 4)])]),
        "i2": (5, [(6, sample("<i2", (7,))), (7, np.array([0x1234, 0x5678], dtype=">i2")),
                   (8, sample("<i2", (1, 3)))]),
        "big": (9, [(10, sample("<f4", (300, 50)))]),
    }
    want = {name: blog_bytes(codec_pickle, codec_ts, recs) for name, (codec_ts, recs) in records.items()}
    assert sorted(os.listdir(d)) == sorted(n + ".blog" for n in want), os.listdir(d)
    for name, data in want.items():
        got = open(os.path.join(d, name + ".blog"), "rb").read()
        if got != data:
            first = next((i for i in range(min(len(got), len(data))) if got[i] != data[i]), min(len(got), len(data)))
            raise AssertionError("%s.blog: %d bytes, expected %d; first difference at byte %d"
                                 % (name, len(got), len(data), first))
        codec_ts, arrays = read_blog(os.path.join(d, name + ".blog"), codec_class)
        assert codec_ts == records[name][0]
        assert len(arrays) == len(records[name][1])
        for (ts, arr), (wts, warr) in zip(arrays, records[name][1]):
            assert ts == wts and arr.dtype == warr.dtype and arr.shape == warr.shape and np.array_equal(arr, warr)
    print("C++ wrote %d .blog channels byte-identical to Python tinman's layout" % len(want))


def check_cli(cli, scratch, py_dir, codec_pickle):
    # .blog -> tinman -> .blog gives back the same bytes when the codec record's time is the first record's
    src = os.path.join(scratch, "conv_src")
    os.makedirs(src)
    records = [(1_000 + i, sample(dt, s)) for i, (dt, s) in enumerate(
        [("<f8", (3,)), ("<f8", (2, 2)), ("<f8", ()), ("<f8", (0,))])]
    original = blog_bytes(codec_pickle, records[0][0], records)
    with open(os.path.join(src, "a.blog"), "wb") as f:
        f.write(original)
    mid, back = os.path.join(scratch, "conv_mid"), os.path.join(scratch, "conv_back")
    r = subprocess.run([cli, "convert", src, mid], capture_output=True, text=True)
    assert r.returncode == 0 and "a: 4 records" in r.stdout, (r.returncode, r.stdout, r.stderr)
    assert os.path.exists(os.path.join(mid, "a.tinman"))
    r = subprocess.run([cli, "convert", mid, back], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert open(os.path.join(back, "a.blog"), "rb").read() == original, "round trip changed bytes"
    r = subprocess.run([cli, "convert", src, mid], capture_output=True, text=True)
    assert r.returncode != 0 and "already exists" in r.stderr, (r.returncode, r.stderr)
    r = subprocess.run([cli, "info", mid, "--json"], capture_output=True, text=True)
    assert '"dtype": "<f8"' in r.stdout and '"records": 4' in r.stdout, r.stdout
    # cat on a .blog channel, and an unknown codec
    r = subprocess.run([cli, "cat", py_dir, "ch11", "--limit", "2"], capture_output=True, text=True)
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and len(lines) == 2 and " () <f8 " in lines[0] and " (5,) <f8 [" in lines[1], r.stdout
    other = os.path.join(scratch, "other")
    os.makedirs(other)
    p = pickle.dumps(ValueError(), protocol=4)  # any other class
    with open(os.path.join(other, "x.blog"), "wb") as f:
        f.write(HEADER.pack(1, len(p)) + p)
    r = subprocess.run([cli, "cat", other, "x"], capture_output=True, text=True)
    assert r.returncode == 6 and "builtins.ValueError" in r.stderr, (r.returncode, r.stderr)
    # export: numpy itself loads the .npy files (header written by the tool), from .blog and from tinman logs
    same = os.path.join(scratch, "same")
    os.makedirs(same)
    recs = [(5 + i, (sample("<f4", (2, 3)) + i).astype("<f4")) for i in range(6)]
    with open(os.path.join(same, "s.blog"), "wb") as f:
        f.write(blog_bytes(codec_pickle, 5, recs))
    out = os.path.join(scratch, "s.npy")
    r = subprocess.run([cli, "export", same, "s", out, "--from", "6", "--limit", "3"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    a, t = np.load(out), np.load(os.path.join(scratch, "s.timestamps.npy"))
    assert a.dtype == np.dtype("<f4") and a.shape == (3, 2, 3), (a.dtype, a.shape)
    assert np.array_equal(a, np.stack([arr for _, arr in recs[1:4]])) and t.dtype == np.int64 and list(t) == [6, 7, 8]
    native = os.path.join(scratch, "same_native")
    assert subprocess.run([cli, "convert", same, native], capture_output=True).returncode == 0
    r = subprocess.run([cli, "export", native, "s", out, "--timestamps", os.path.join(scratch, "t.npy")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert np.array_equal(np.load(out), np.stack([arr for _, arr in recs]))
    assert list(np.load(os.path.join(scratch, "t.npy"))) == [ts for ts, _ in recs]
    print("tinman convert round-trips .blog -> tinman -> .blog byte for byte; cat reads .blog; "
          "numpy loads what export writes")


def main():
    bridge, cli, scratch_root = sys.argv[1], sys.argv[2], sys.argv[3]
    scratch = tempfile.mkdtemp(dir=scratch_root)
    try:
        codec_class = make_codec_module(os.path.join(scratch, "pymod"))
        codec_pickle = check_pickle(codec_class)
        py_dir = check_cpp_reads(bridge, scratch, codec_pickle)
        check_cpp_writes(bridge, scratch, codec_pickle, codec_class)
        check_cli(cli, scratch, py_dir, codec_pickle)
    finally:
        shutil.rmtree(scratch)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
