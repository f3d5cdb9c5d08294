"""Logs written by the C++ library (tests/interop/python_interop_bridge native-write) read back."""
import subprocess

import numpy as np

import tinman

T0 = 1_700_000_000_000_000_000


def sample(dtype, shape):
    dt = np.dtype(dtype)
    i = np.arange(int(np.prod(shape, dtype=np.int64)), dtype=np.int64)
    v = i.astype(dt) * dt.type(0.5) - dt.type(7) if dt.kind == "f" else (i * 7 + 3).astype(dt)
    return v.reshape(shape)


def test_native_logs_written_by_cpp(bridge, tmp_path):
    subprocess.run([bridge, "native-write", str(tmp_path)], check=True)
    log = tinman.open(str(tmp_path))
    assert log.names == ["f8", "mixed", "text", "u1"]
    want = {
        "f8": [sample("<f8", s) for s in [(), (5,), (0,), (3, 4), (2, 3, 4), (1000,), (100, 100)]],
        "u1": [sample("|u1", (n,)) for n in (1, 3, 64, 7)],
        "mixed": [sample("<f4", (2, 2)), sample("<i4", (3,)), np.array([1, 256], dtype=">i4"),
                  sample("<c16", (2,))],
    }
    t = T0
    for name, arrays in want.items():
        ch = log[name]
        assert ch.indexed_records == len(arrays) and ch.status.clean
        for i, ((ts, a), w) in enumerate(zip(ch, arrays)):
            assert ts == t
            t += 1
            assert a.dtype == w.dtype and a.shape == w.shape and np.array_equal(a, w)
            assert not a.flags.writeable and a.flags.aligned
            assert ch[i][0] == ts and ch.seek(ts) == i
    text = log["text"]
    assert text.kind == "bytes" and bytes(text[0][1]) == b"hello"
    assert bytes(next(iter(text))[1]) == b"hello"
    assert np.array_equal(log["u1"][:3].timestamps(), [T0 + 7, T0 + 8, T0 + 9])
