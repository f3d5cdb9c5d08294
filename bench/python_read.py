"""Reading speed of the Python package (python/) on a channel of small records written by the C++ library.

Writes a Python tinman .blog channel of N records (6 float64 each) with numpy, converts it with the
`tinman` tool (the C++ library writes the native channel and its time index), then times, on the same
channel and in rotating order (medians of 3 rounds):
  iterate   for t, a in channel            (per-record views, checksums verified in batches)
  arrays    channel.arrays()               (batches of strided views)
  stacked   channel.stacked() + timestamps() (one strided view; entries and records verified)
  example   examples/python/tinman_numpy.py read_channel (the baseline: a record-by-record scan)
and reports records/s and each against the baseline, by wall-clock time and by CPU time of this process
(time.process_time: on a machine shared with other jobs, the CPU figure is the one that does not depend on
how much of a core the process got). A second iteration of an already verified channel is timed too.

usage: python3 bench/python_read.py PATH_TO_tinman_TOOL [N] [SCRATCH_DIR]
"""
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python", "src"))
sys.path.insert(0, os.path.join(HERE, "..", "examples", "python"))
import tinman  # noqa: E402
import tinman_numpy  # noqa: E402

T0 = 1_700_000_000_000_000_000


def write_blog(path, n):
    codec = (b"\x80\x04\x95" + struct.pack("<Q", 46) + b"\x8c\x13tinman.codecs.numpy\x94\x8c\x0fNumpyArrayCodec\x94"
             b"\x93\x94)\x81\x94.")
    head = struct.pack("<I", 3) + b"<f8" + struct.pack("<IQ", 1, 6)
    rec = np.dtype([("t", "<u8"), ("len", "<u8"), ("head", "V%d" % len(head)), ("v", "<f8", (6,))])
    recs = np.zeros(n, rec)
    recs["t"] = T0 + np.arange(n, dtype=np.uint64) * 1000
    recs["len"] = len(head) + 48
    recs["head"] = np.frombuffer(head, "V%d" % len(head))[0]
    recs["v"] = np.arange(n * 6, dtype="<f8").reshape(n, 6)
    with open(path, "wb") as f:
        f.write(struct.pack("<QQ", T0, len(codec)) + codec)
        f.write(recs.tobytes())


def main():
    tool = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    scratch = sys.argv[3] if len(sys.argv) > 3 else tempfile.mkdtemp()
    src, log = os.path.join(scratch, "py"), os.path.join(scratch, "native")
    shutil.rmtree(src, ignore_errors=True)
    shutil.rmtree(log, ignore_errors=True)
    os.makedirs(src)
    write_blog(os.path.join(src, "imu.blog"), n)
    subprocess.run([tool, "convert", src, log], check=True, stdout=subprocess.DEVNULL)
    path = os.path.join(log, "imu.tinman")
    print("channel: %d records of 6 x <f8, %.1f MB, written by `tinman convert`; CRC32C backend: %s"
          % (n, os.path.getsize(path) / 1e6, tinman.CRC32C_BACKEND))

    def iterate():
        ch = tinman.open(path)
        k = 0
        for t, a in ch:
            k += 1
        assert k == n

    def arrays():
        ch = tinman.open(path)
        k = 0
        for ts, v in ch.arrays():
            k += len(v)
        assert k == n

    def stacked():
        ch = tinman.open(path)
        v, ts = ch.stacked(), ch.timestamps()
        assert v.shape == (n, 6) and len(ts) == n and v[-1, -1] == n * 6 - 1

    def example():
        k = 0
        for t, a in tinman_numpy.read_channel(log, "imu"):
            k += 1
        assert k == n

    cases = [("iterate", iterate), ("arrays", arrays), ("stacked", stacked), ("example", example)]
    ch = tinman.open(path)

    def again():
        k = 0
        for t, a in ch:
            k += 1
        assert k == n

    again()  # verifies every chunk once; `again` then times iteration alone
    cases.append(("again", again))
    times = {name: [] for name, _ in cases}
    cpu = {name: [] for name, _ in cases}
    for r in range(3):
        for name, fn in cases[r % len(cases):] + cases[:r % len(cases)]:
            t, c = time.perf_counter(), time.process_time()
            fn()
            times[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
    base, base_cpu = statistics.median(times["example"]), statistics.median(cpu["example"])
    print("%-8s %10s %12s %12s %8s" % ("", "wall s", "records/s", "CPU rec/s", "x example"))
    for name, _ in cases:
        med, med_cpu = statistics.median(times[name]), statistics.median(cpu[name])
        print("%-8s %10.3f %12.0f %12.0f %8.1f" % (name, med, n / med, n / med_cpu, base_cpu / med_cpu))
    rng = np.random.default_rng(1)
    picks = rng.integers(0, n, 10000).tolist()
    t = time.perf_counter()
    for i in picks:
        ch[i]
    dt = time.perf_counter() - t
    t = time.perf_counter()
    for i in picks:
        ch.seek(T0 + i * 1000)
    ds = time.perf_counter() - t
    print("random access %.1f us/record, seek %.1f us (10^4 random picks)" % (dt / 1e-2, ds / 1e-2))


if __name__ == "__main__":
    main()
