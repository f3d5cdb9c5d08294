import os
import pickle
import struct
import subprocess

import numpy as np
import pytest

import tinman
from conftest import HAVE_PANDAS, T0, blog_codec_pickle, write_blog


def test_blog_arrays(tmp_path):
    arrays = [np.arange(5.0), np.array(2.5), np.zeros((0,)), np.arange(12, dtype=">i4").reshape(3, 4),
              np.array([True, False])]
    write_blog(str(tmp_path / "py.blog"), [(T0 + i, a) for i, a in enumerate(arrays)])
    log = tinman.open(str(tmp_path))
    assert log.names == ["py"]
    info = log.channels[0]
    assert info.format == "blog" and info.codec == "tinman.codecs.numpy.NumpyArrayCodec" and info.records == 5
    ch = log["py"]
    got = list(ch)
    assert [t for t, _ in got] == [T0 + i for i in range(5)]
    for (_, a), want in zip(got, arrays):
        assert a.dtype == want.dtype and a.shape == want.shape and np.array_equal(a, want)
        assert not a.flags.writeable
    assert ch[3][1].dtype.str == ">i4"
    assert ch.seek(T0 + 2) == 2 and list(ch.between(T0 + 1, T0 + 3).record_numbers) == [1, 2]


def test_blog_stacked_over_unaligned_records(tmp_path):
    values = np.arange(30.0).reshape(10, 3)
    write_blog(str(tmp_path / "u.blog"), [(T0 + i, values[i]) for i in range(10)])
    ch = tinman.open(str(tmp_path / "u.blog"))
    s = ch.stacked()
    assert np.array_equal(s, values) and not s.flags.writeable and not s.flags.owndata
    assert np.array_equal(ch.timestamps(), T0 + np.arange(10))
    if HAVE_PANDAS:
        assert list(ch.to_pandas().columns) == ["[0]", "[1]", "[2]"]


def test_blog_other_codecs_are_bytes(tmp_path):
    codec = blog_codec_pickle(b"tinman.codecs.pickle", b"PickleCodec")
    write_blog(str(tmp_path / "p.blog"), [(T0, pickle.dumps({"a": 1}))], codec=codec)
    with pytest.warns(tinman.UnknownCodecWarning, match="PickleCodec"):
        ch = tinman.open(str(tmp_path / "p.blog"))
    assert ch.kind == "raw" and ch.codec == "tinman.codecs.pickle.PickleCodec"
    assert pickle.loads(bytes(ch[0][1])) == {"a": 1}  # never unpickled by the reader itself


def test_codec_pickle_bytes():
    assert len(blog_codec_pickle()) == 57
    assert tinman._blog.codec_class(blog_codec_pickle()) == "tinman.codecs.numpy.NumpyArrayCodec"
    with pytest.raises(ValueError):
        tinman._blog.codec_class(b"\x80\x04\x88.")


def test_blog_written_by_cpp(bridge, tmp_path):
    subprocess.run([bridge, "blog-write", str(tmp_path)], check=True)
    log = tinman.open(str(tmp_path))
    assert log.names == ["big", "f8", "i2"]
    f8 = [a for _, a in log["f8"]]
    assert [a.shape for a in f8] == [(), (5,), (0,), (3, 4), (2, 3, 4)]
    assert np.array_equal(f8[3], np.arange(12.0).reshape(3, 4) * 0.5 - 7)
    i2 = list(log["i2"])
    assert i2[1][1].dtype.str == ">i2" and list(i2[1][1]) == [0x1234, 0x5678]
    assert log["big"][0][1].shape == (300, 50)
