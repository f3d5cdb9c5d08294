"""Random damage to a channel file and its index never makes the reader fail other than with its own errors."""
import os
import shutil
import warnings

import numpy as np

import tinman
from conftest import T0


def exercise(path):
    try:
        ch = tinman.open(path)
    except tinman.FormatError:
        return "refused"
    n = len(ch)
    got = []
    try:
        for t, v in ch:
            got.append(t)
    except tinman.FormatError:
        pass
    try:
        if len(ch):
            ch[len(ch) - 1]
            ch.seek(T0 + 3)
            list(ch.between(T0 + 2, T0 + 9))
    except tinman.FormatError:
        pass
    try:
        ch.timestamps()
        ch.stacked()
    except (tinman.FormatError, ValueError):
        pass
    assert len(ch) <= n
    return got


def test_random_flips(native, tmp_path):
    w = native("c", "ndarray\ndtype=<f8\n")
    for i in range(12):
        w.array(T0 + i, np.arange(i % 3 + 2, dtype="<f8"))
    w.array(T0 + 12, np.arange(100.0))
    clean_data, clean_index = open(w.path, "rb").read(), open(w.index_path, "rb").read()
    rng = np.random.default_rng(7)
    outcomes = set()
    for k in range(300):
        data, index = bytearray(clean_data), bytearray(clean_index)
        target = data if k % 3 else index
        for _ in range(1 + k % 4):
            pos = int(rng.integers(0, len(target)))
            target[pos] ^= int(rng.integers(1, 256))
        if k % 7 == 0:
            data = data[:int(rng.integers(0, len(data)))]
        with open(w.path, "wb") as f:
            f.write(bytes(data))
        with open(w.index_path, "wb") as f:
            f.write(bytes(index))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = exercise(w.path)
        outcomes.add("refused" if got == "refused" else "read")
        if data == clean_data:
            # only the index was damaged: results are those of a scan, every record
            assert got == [T0 + i for i in range(13)], k
    assert outcomes == {"refused", "read"}
