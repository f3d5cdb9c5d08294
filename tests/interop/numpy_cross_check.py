"""Cross-checks tinman's array payloads against numpy, an independent implementation.

1. The C++ library writes a log (numpy_bridge write); this script parses the
   channel files per the documented format v1 (header, framing, CRC32C,
   alignment) and decodes each payload with np.dtype(dtype_str) and
   np.frombuffer, comparing with the values numpy computes itself.
2. numpy builds payloads in the seed's layout (also big-endian, 0-d and empty);
   the C++ library decodes them (numpy_bridge decode) and must print the same
   values and re-encode identical bytes.

usage: numpy_cross_check.py NUMPY_BRIDGE SCRATCH_DIR
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

import numpy as np

CHANNELS = {
    "bool": "|b1", "int8": "|i1", "int16": "<i2", "int32": "<i4", "int64": "<i8",
    "uint8": "|u1", "uint16": "<u2", "uint32": "<u4", "uint64": "<u8",
    "float16": "<f2", "float32": "<f4", "float64": "<f8", "complex64": "<c8", "complex128": "<c16",
}
SHAPES = [(), (5,), (0,), (3, 4), (2, 3, 4), (2, 1, 3, 2), (1, 70)]


def crc32c(data, crc=0):
    table = crc32c.table
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


crc32c.table = _table()


def expected(dtype, shape):
    i = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64)
    dt = np.dtype(dtype)
    if dt.kind == "b":
        v = (i % 3) == 0
    elif dt.kind in "iu":
        v = (i * 7 + 3).astype(np.uint64).astype(dt)
    elif dt.kind == "c":
        v = np.empty(i.size, dt)
        v.real = i
        v.imag = i * -0.5
    elif dt == np.float16:
        v = (i.astype(np.float32) * np.float32(0.25) - np.float32(3)).astype(dt)
    else:
        v = (i.astype(dt) * dt.type(0.5) - dt.type(7)).astype(dt)
    return v.reshape(shape)


def read_channel(path):
    """Parses a tinman v1 channel file; returns (codec descriptor, [(timestamp, payload, payload offset)])."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89TINMAN\n", "magic"
    version, flags, records_offset, codec_size, header_crc = struct.unpack_from("<HHIII", data, 8)
    assert version == 1 and flags == 0
    fixed = bytearray(data[:64])
    fixed[20:24] = b"\0\0\0\0"
    assert crc32c(bytes(fixed) + data[64:64 + codec_size]) == header_crc, "header crc"
    codec = data[64:64 + codec_size].decode()
    pos, records = records_offset, []
    while pos < len(data):
        ts, size, padding, payload_crc, rflags, hcrc = struct.unpack_from("<qQIIII", data, pos)
        assert crc32c(data[pos:pos + 28]) == hcrc, "record header crc"
        assert rflags == 0
        start = pos + 32 + padding
        assert data[pos + 32:start] == b"\0" * padding, "padding is zero"
        payload = data[start:start + size]
        assert len(payload) == size and crc32c(payload) == payload_crc, "payload crc"
        records.append((ts, payload, start))
        pos = start + size
    assert pos == len(data)
    return codec, records


def decode(payload):
    (dlen,) = struct.unpack_from("<I", payload, 0)
    dtype = payload[4:4 + dlen].decode("ascii")
    (ndim,) = struct.unpack_from("<I", payload, 4 + dlen)
    shape = struct.unpack_from("<%dQ" % ndim, payload, 8 + dlen)
    offset = 8 + dlen + 8 * ndim
    arr = np.frombuffer(payload, dtype=np.dtype(dtype), offset=offset, count=int(np.prod(shape, dtype=np.int64)))
    return dtype, arr.reshape(shape), offset


def encode(arr):
    s = arr.dtype.str.encode("ascii")
    return struct.pack("<I", len(s)) + s + struct.pack("<I", arr.ndim) + \
        struct.pack("<%dQ" % arr.ndim, *arr.shape) + arr.tobytes()


def check_cpp_written(bridge, scratch):
    log = os.path.join(scratch, "log")
    subprocess.run([bridge, "write", log], check=True)
    checked = 0
    for name, dtype in CHANNELS.items():
        codec, records = read_channel(os.path.join(log, name + ".tinman"))
        assert codec == "ndarray\ndtype=%s\n" % dtype, (name, codec)
        assert len(records) == len(SHAPES), name
        for (ts, payload, start), shape in zip(records, SHAPES):
            got_dtype, arr, offset = decode(payload)
            want = expected(dtype, shape)
            assert got_dtype == dtype == want.dtype.str, (name, got_dtype)
            assert arr.shape == shape, (name, arr.shape, shape)
            assert arr.tobytes() == want.tobytes(), (name, shape, arr, want)
            assert payload == encode(want), (name, shape, "payload bytes differ from numpy's")
            nbytes = arr.nbytes
            align = 64 if nbytes >= 64 else want.dtype.alignment
            assert (start + offset) % align == 0, (name, shape, "data offset", start + offset)
            checked += 1
    print("numpy decoded %d C++-written records of %d dtypes" % (checked, len(CHANNELS)))


def check_numpy_written(bridge, scratch):
    rng = np.random.default_rng(7)
    arrays = []
    for dtype in list(CHANNELS.values()) + [">i2", ">i4", ">i8", ">u4", ">f2", ">f4", ">f8", ">c8", ">c16"]:
        for shape in SHAPES + [(0, 3)]:
            n = int(np.prod(shape, dtype=np.int64))
            dt = np.dtype(dtype)
            if dt.kind == "b":
                a = rng.integers(0, 2, n).astype(bool)
            elif dt.kind in "iu":
                info = np.iinfo(dt)
                a = rng.integers(info.min, info.max, n, dtype=np.int64 if dt.kind == "i" else np.uint64, endpoint=True)
            elif dt.kind == "c":
                a = rng.standard_normal(n) + 1j * rng.standard_normal(n)
            else:
                a = rng.standard_normal(n) * 1000
            arrays.append(np.asarray(a).astype(dt).reshape(shape))
    arrays.append(np.asfortranarray(np.arange(12.0).reshape(3, 4)))  # numpy writes C order bytes
    arrays.append(np.arange(20, dtype="<i4")[::3])                     # a strided view
    files = []
    for k, a in enumerate(arrays):
        path = os.path.join(scratch, "payload_%03d.bin" % k)
        with open(path, "wb") as f:
            f.write(encode(a))
        files.append(path)
    out = subprocess.run([bridge, "decode"] + files, check=True, capture_output=True, text=True).stdout.splitlines()
    assert len(out) == len(arrays), out
    for a, line in zip(arrays, out):
        dtype, shape, hexdata, status = line.split(" ")
        assert dtype == a.dtype.str, (dtype, a.dtype.str)
        assert shape == "(" + "".join("%d," % d for d in a.shape) + ")", (shape, a.shape)
        native = np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<"))
        assert hexdata == (native.tobytes().hex() or "-"), (a.dtype.str, a.shape)
        assert status == "reencoded", line
    print("C++ decoded %d numpy-written payloads (native and big-endian) to the same values" % len(arrays))


def main():
    bridge, scratch_root = sys.argv[1], sys.argv[2]
    scratch = tempfile.mkdtemp(dir=scratch_root)
    try:
        check_cpp_written(bridge, scratch)
        check_numpy_written(bridge, scratch)
    finally:
        shutil.rmtree(scratch)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
