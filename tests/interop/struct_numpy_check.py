"""Checks that numpy reads C++ struct channels (StructCodec) as structured arrays.

The bridge (struct_bridge) writes an `imu` channel (one struct per record) and a
`poses` channel (1-d arrays of structs with array fields and padding), and prints
sizeof/offsetof as the compiler laid them out. examples/python/tinman_numpy.py
must yield structured arrays with the stored names, the compiler's offsets and
itemsize, and the written values; numpy.dtype(json.loads(struct=...)) must
rebuild the same dtype.

usage: struct_numpy_check.py STRUCT_BRIDGE EXAMPLES_PYTHON_DIR SCRATCH_DIR
"""
import json
import os
import shutil
import subprocess
import sys

import numpy as np


def main(bridge, examples, scratch):
    sys.path.insert(0, examples)
    import tinman_numpy as tn

    log = os.path.join(scratch, "struct_log")
    shutil.rmtree(log, ignore_errors=True)
    out = subprocess.run([bridge, log], check=True, capture_output=True, text=True).stdout.split("\n")
    imu_json, pose_json, sizes = out[0], out[1], out[2].split()
    size_imu, size_pose = int(sizes[1]), int(sizes[2])
    off_status, off_q, off_id, off_m = (int(v) for v in sizes[4:8])

    # The stored descriptor rebuilds the dtype, with the compiler's layout.
    with tn.open_channel(log, "imu") as ch:
        assert ch.codec_params["dtype"] == "|V%d" % size_imu, ch.codec_params
        assert ch.codec_params["struct"] == imu_json
        dt = np.dtype(json.loads(ch.codec_params["struct"]))
        assert dt.names == ("ax", "ay", "az", "gx", "gy", "gz", "status"), dt.names
        assert dt.itemsize == size_imu == 56, dt.itemsize
        assert dt.fields["status"][1] == off_status == 48
        assert dt.fields["status"][0] == np.dtype("<i4")
        records = list(ch)
    assert len(records) == 10
    for i, (t, a) in enumerate(records):
        assert t == 1000 + i
        assert a.shape == () and a.dtype == dt and a.dtype.names == dt.names
        assert not a.flags.writeable  # a view of the mapping
        x = float(i)
        assert a["ax"] == x + 0.5 and a["ay"] == -x and a["az"] == 9.81, a
        assert a["gx"] == x * 0.25 and a["gy"] == x * 1e-3 and a["gz"] == -2.0, a
        assert a["status"] == i * 3 - 7, a

    with tn.open_channel(log, "poses") as ch:
        assert ch.codec_params["struct"] == pose_json
        dt = ch.struct_dtype
        assert dt.names == ("valid", "q", "id", "m"), dt.names
        assert dt.itemsize == size_pose, (dt.itemsize, size_pose)
        assert [dt.fields[n][1] for n in dt.names] == [0, off_q, off_id, off_m], dt.fields
        assert dt.fields["q"][0] == np.dtype(("<f8", (4,)))
        assert dt.fields["m"][0] == np.dtype(("<f4", (3, 3)))
        records = list(ch)
    assert len(records) == 4
    for i, (t, a) in enumerate(records):
        assert t == 2000 + i and a.shape == (i + 1,), (t, a.shape)
        for k in range(i + 1):
            p = a[k]
            assert bool(p["valid"]) == ((i + k) % 2 == 0)
            assert list(p["q"]) == [10 * i + k + 0.125 * j for j in range(4)], p["q"]
            assert p["id"] == 16 * i + k
            want = np.array([[100 * i + 10 * k + 3 * r + c for c in range(3)] for r in range(3)], dtype="<f4")
            assert np.array_equal(p["m"], want), p["m"]
        assert a["m"].shape == (i + 1, 3, 3)
    print("struct channels read by numpy: names, offsets, itemsize and values agree")


if __name__ == "__main__":
    main(*sys.argv[1:4])
