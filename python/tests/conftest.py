"""Test helpers: native channel files and .blog files written byte by byte (docs/format.md), and the
C++ programs of the build when ctest passes them (TINMAN_INTEROP_BRIDGE, TINMAN_CLI)."""
import os
import struct
import sys

import numpy as np
import pytest

if not os.environ.get("TINMAN_TEST_INSTALLED"):  # else the package installed (tests/interop/python_package_check.py)
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
from tinman import crc32c  # noqa: E402

T0 = 1_700_000_000_000_000_000
try:
    import pandas  # noqa: F401
    HAVE_PANDAS = True
except ImportError:
    HAVE_PANDAS = False


def ndarray_payload(arr):
    """(head, body) of an ndarray payload, as the C++ writer and Python tinman lay it out."""
    arr = np.asarray(arr)
    d = arr.dtype.str.encode()
    head = struct.pack("<I", len(d)) + d + struct.pack("<I", arr.ndim) + struct.pack("<%dQ" % arr.ndim, *arr.shape)
    return head, np.ascontiguousarray(arr).tobytes()


def ndarray_align(arr):
    arr = np.asarray(arr)
    if arr.nbytes >= 64:
        return 64
    size = arr.dtype.itemsize
    a = 1
    while a < 8 and size % (a * 2) == 0:
        a *= 2
    return a


class NativeWriter:
    """Writes a channel file (and its time index) the way the C++ writer does."""

    def __init__(self, directory, name, descriptor, metadata=None, index=True):
        self.path = os.path.join(directory, name + ".tinman")
        self.index_path = os.path.join(directory, name + ".tinman-index")
        desc = descriptor.encode()
        meta = b"".join(b"%s=%s\n" % (k.encode(), v.encode()) for k, v in (metadata or {}).items())
        flags = 1 if metadata is not None else 0
        self.records_offset = (64 + len(desc) + len(meta) + 63) // 64 * 64
        head = bytearray(64)
        struct.pack_into("<8sHHIII", head, 0, b"\x89TINMAN\n", 1, flags, self.records_offset, len(desc), 0)
        if metadata is not None:
            struct.pack_into("<II", head, 32, len(meta), crc32c(meta))
        header_crc = crc32c(desc, crc32c(bytes(head)))
        struct.pack_into("<I", head, 20, header_crc)
        body = bytes(head) + desc + meta
        with open(self.path, "wb") as f:
            f.write(body + bytes(self.records_offset - len(body)))
        self.count = 0
        self.max = None
        self.offset = self.records_offset
        self.indexing = index
        if index:
            ih = bytearray(b"\x89TINDEX\n" + struct.pack("<HHIQ", 1, 32, header_crc, self.records_offset) + bytes(36))
            ih += struct.pack("<I", crc32c(bytes(ih)))
            with open(self.index_path, "wb") as f:
                f.write(ih)

    def record_bytes(self, t, head, body, align=1, flags=0):
        o = self.offset
        padding = (align - (o + 32 + len(head)) % align) % align
        payload = head + body
        h = struct.pack("<qQIII", t, len(payload), padding, crc32c(payload), flags)
        h += struct.pack("<I", crc32c(h))
        return h + bytes(padding) + payload

    def write(self, t, head, body=b"", align=1, index=None):
        """Appends one record (and its index entry unless index=False); returns its header offset."""
        rec = self.record_bytes(t, head, body, align)
        at = self.offset
        with open(self.path, "ab") as f:
            f.write(rec)
        self.offset += len(rec)
        self.max = t if self.max is None else max(self.max, t)
        if self.indexing and (index is None or index):
            self.write_entry(self.count, t, self.max, at, struct.unpack_from("<I", rec, 28)[0])
        self.count += 1
        return at

    def write_entry(self, i, t, mx, offset, record_crc):
        e = struct.pack("<qqQI", t, mx, offset, record_crc)
        e += struct.pack("<I", crc32c(struct.pack("<Q", i), crc32c(e)))
        with open(self.index_path, "r+b") as f:
            f.seek(64 + 32 * i)
            f.write(e)

    def array(self, t, arr, index=None):
        head, body = ndarray_payload(arr)
        return self.write(t, head, body, ndarray_align(arr), index)


def blog_codec_pickle(mod=b"tinman.codecs.numpy", cls=b"NumpyArrayCodec"):
    """A protocol-4 codec pickle as Python tinman writes it (57 bytes for NumpyArrayCodec, docs/format.md)."""
    body = (b"\x8c" + bytes([len(mod)]) + mod + b"\x94" + b"\x8c" + bytes([len(cls)]) + cls + b"\x94"
            + b"\x93\x94)\x81\x94.")
    return b"\x80\x04\x95" + struct.pack("<Q", len(body)) + body


def write_blog(path, records, codec=None, t0=T0):
    with open(path, "wb") as f:
        c = blog_codec_pickle() if codec is None else codec
        f.write(struct.pack("<QQ", t0, len(c)) + c)
        for t, arr in records:
            head, body = ndarray_payload(arr) if isinstance(arr, np.ndarray) else (bytes(arr), b"")
            f.write(struct.pack("<QQ", t, len(head) + len(body)) + head + body)


@pytest.fixture
def native(tmp_path):
    return lambda name, descriptor, **kw: NativeWriter(str(tmp_path), name, descriptor, **kw)


@pytest.fixture
def bridge():
    path = os.environ.get("TINMAN_INTEROP_BRIDGE")
    if not path:
        pytest.skip("TINMAN_INTEROP_BRIDGE (tinman_python_interop_bridge) not given; ctest passes it")
    return path
