import os
import struct

import numpy as np
import pytest

import tinman
from conftest import T0, write_blog


def channel(native, n=20, big_last=False):
    w = native("c", "ndarray\ndtype=<f8\n")
    for i in range(n):
        w.array(T0 + i, np.full(4, float(i)))
    if big_last:
        w.array(T0 + n, np.arange(1000.0))
    return w


def flip(path, pos):
    with open(path, "r+b") as f:
        f.seek(pos)
        b = f.read(1)
        f.seek(pos)
        f.write(bytes([b[0] ^ 0x10]))


def test_torn_tail_is_not_counted(native):
    w = channel(native)
    size = os.path.getsize(w.path)
    with open(w.path, "r+b") as f:
        f.truncate(size - 3)
    ch = tinman.open(w.path)
    assert len(ch) == 19 and ch.status.stop == "torn"
    assert [t for t, _ in ch] == [T0 + i for i in range(19)]
    with pytest.raises(tinman.FormatError):
        tinman.open(w.path, strict=True)


def test_corrupt_payload_names_channel_and_record(native):
    w = channel(native)
    ch = tinman.open(w.path)
    assert len(ch) == 20
    off7 = struct.unpack_from("<Q", open(w.index_path, "rb").read(), 64 + 32 * 7 + 16)[0]
    flip(w.path, off7 + 70)  # inside record 7's payload
    assert np.array_equal(ch[12][1], np.full(4, 12.0))  # only the entry used is checked
    with pytest.raises(tinman.ChecksumError) as e:
        ch[7]
    assert e.value.channel == "c" and e.value.record == 7 and "payload checksum mismatch" in str(e.value)
    assert "channel 'c'" in str(e.value) and "record 7" in str(e.value)
    # the channel was indexed again by a scan: the intact records before the damage remain
    assert len(ch) == 7 and ch.status.stop == "corrupt"
    assert np.array_equal(ch[6][1], np.full(4, 6.0))
    ch2 = tinman.open(w.path)
    with pytest.raises(tinman.ChecksumError, match="record 7"):
        list(ch2)


def test_corrupt_index_falls_back_to_a_scan(native):
    w = channel(native)
    flip(w.index_path, 64 + 32 * 5 + 2)  # entry 5's timestamp: its entry_crc fails
    ch = tinman.open(w.path)
    assert len(ch) == 20 and ch.indexed_records == 20  # the last entry checks out, entry 5 is checked on use
    assert ch[5][0] == T0 + 5 and ch.indexed_records == 0  # dropped, rebuilt by a scan
    assert [t for t, _ in ch] == [T0 + i for i in range(20)]
    ch = tinman.open(w.path)
    assert np.array_equal(ch.timestamps(), T0 + np.arange(20)) and ch.indexed_records == 0
    # a bad header: the index is not used at all
    flip(w.index_path, 12)
    ch = tinman.open(w.path)
    assert ch.indexed_records == 0 and len(ch) == 20 and ch.seek(T0 + 7) == 7
    os.remove(w.index_path)
    assert len(tinman.open(w.path)) == 20


def test_index_ahead_of_its_channel_keeps_the_proven_prefix(native):
    w = channel(native)
    offs = [struct.unpack_from("<Q", open(w.index_path, "rb").read(), 64 + 32 * i + 16)[0] for i in range(20)]
    with open(w.path, "r+b") as f:
        f.truncate(offs[15])  # the channel lost its tail; the index still lists 20 records
    ch = tinman.open(w.path)
    assert len(ch) == 15 and ch.indexed_records == 15 and ch.status.clean


def test_running_maximum_is_checked(native):
    w = channel(native)
    # rewrite entry 3 with a wrong running maximum but a valid entry_crc: the vectorised check rejects it
    data = open(w.index_path, "rb").read()
    t, mx, off, rcrc, _ = struct.unpack_from("<qqQII", data, 64 + 96)
    w.write_entry(3, t, mx + 1000, off, rcrc)
    ch = tinman.open(w.path)
    assert np.array_equal(ch.timestamps(), T0 + np.arange(20)) and ch.indexed_records == 0


def test_large_payloads_verified_when_last_or_asked(native):
    w = channel(native, 3, big_last=True)
    w2 = native("d", "ndarray\ndtype=<f8\n")
    w2.array(T0, np.arange(1000.0))
    w2.array(T0 + 1, np.arange(4.0))
    size = os.path.getsize(w2.path)
    flip(w2.path, w2.records_offset + 400)  # inside record 0's 8000-byte body, not the last record
    assert len(tinman.open(w2.path)) == 2
    ch = tinman.open(w2.path, verify_all=True)
    assert len(ch) == 0 and ch.status.stop == "corrupt" and "record 0" in ch.status.reason
    with pytest.raises(tinman.FormatError, match="payload checksum mismatch"):
        tinman.open(w2.path, strict=True, verify_all=True)
    with pytest.raises(tinman.ChecksumError):
        tinman.open(w2.path).verify()
    assert size == os.path.getsize(w2.path)
    # the last record is always verified whole
    flip(w.path, os.path.getsize(w.path) - 100)
    ch = tinman.open(w.path)
    assert len(ch) == 3 and ch.status.stop == "corrupt"


def test_blog_damage(tmp_path):
    p = str(tmp_path / "x.blog")
    write_blog(p, [(T0 + i, np.arange(3.0)) for i in range(4)])
    with open(p, "r+b") as f:
        f.truncate(os.path.getsize(p) - 2)
    ch = tinman.open(p)
    assert len(ch) == 3 and ch.status.stop == "torn"
    with pytest.raises(tinman.FormatError):
        tinman.open(p, strict=True)
    (tmp_path / "e.blog").write_bytes(b"")
    with pytest.raises(tinman.FormatError, match="codec record"):
        tinman.open(str(tmp_path / "e.blog"))
