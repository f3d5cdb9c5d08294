import os
import zlib

import numpy as np

import tinman
from tinman import _crc


def test_check_value():
    assert tinman.crc32c(b"123456789") == 0xE3069283
    assert _crc._numpy_crc32c(b"123456789") == 0xE3069283
    assert tinman.crc32c(b"") == 0


def test_backends_agree_on_all_paths():
    rng = np.random.default_rng(5)
    for n in [0, 1, 3, 4, 5, 28, 36, 100, 4096, 16383, 16384, 16385, 70001, (1 << 20) + 7]:
        data = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        want = tinman.crc32c(data)
        assert _crc._numpy_crc32c(data) == want, n
        k = n // 3
        assert tinman.crc32c(data[k:], tinman.crc32c(data[:k])) == want
        assert _crc._numpy_crc32c(data[k:], _crc._numpy_crc32c(data[:k])) == want


def test_rows():
    rng = np.random.default_rng(6)
    for length in [0, 1, 3, 4, 7, 28, 36, 43, 100]:
        rows = rng.integers(0, 256, (300, length), dtype=np.uint8)
        got = tinman.crc32c_rows(rows)
        assert got.dtype == np.uint32
        assert [int(v) for v in got] == [tinman.crc32c(r.tobytes()) for r in rows]
    # strided rows (every other row, a column slice) and continuation
    base = rng.integers(0, 256, (200, 50), dtype=np.uint8)
    rows = base[::2, 5:45]
    assert [int(v) for v in tinman.crc32c_rows(rows)] == [tinman.crc32c(r.tobytes()) for r in rows]
    first = tinman.crc32c_rows(rows[:, :11])
    assert np.array_equal(tinman.crc32c_rows(rows[:, 11:], first), tinman.crc32c_rows(rows))
    # more rows than one lane batch
    many = np.frombuffer(os.urandom(70000 * 9), np.uint8).reshape(70000, 9)
    got = tinman.crc32c_rows(many)
    for i in (0, 65535, 65536, 69999):
        assert int(got[i]) == tinman.crc32c(many[i].tobytes())


def test_not_crc32():
    assert tinman.crc32c(b"abc") != zlib.crc32(b"abc")
