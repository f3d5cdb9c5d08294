"""numpy: a whole channel as one array, tinman_numpy.stacked() against np.stack over
read_channel (the copy it replaces), on channels of 8-double records written by the
C++ library (tests/interop/stacked_bridge). Wall-clock medians, rotating order;
ratios from the same run.

usage: stacked_numpy.py STACKED_BRIDGE EXAMPLES_PYTHON_DIR SCRATCH_DIR [N ...]
       (default N: 20000 201000)
"""
import os
import shutil
import statistics
import subprocess
import sys
import time


def main(bridge, examples, scratch, *sizes):
    sys.path.insert(0, examples)
    import numpy as np
    import tinman_numpy as tn

    sizes = [int(n) for n in sizes] or [20000, 201000]
    for n in sizes:
        d = os.path.join(scratch, "stacked_numpy_%d" % n)
        shutil.rmtree(d, ignore_errors=True)
        subprocess.run([bridge, "write", d, str(n)], check=True)
        ways = {
            "stacked": lambda: tn.stacked(d, "imu")[1],
            "np.stack": lambda: np.stack([a for _, a in tn.read_channel(d, "imu")]),
        }
        times = {k: [] for k in ways}
        rounds = 5 if n > 100000 else 9
        for r in range(rounds):
            for k in (list(ways) if r % 2 == 0 else list(ways)[::-1]):
                t0 = time.perf_counter()
                v = ways[k]()
                times[k].append(time.perf_counter() - t0)
                assert v.shape == (n, 8) and v[n - 1, 0] == 8 * (n - 1)
        for _ in range(50):
            t0 = time.perf_counter()
            ways["stacked"]()
            times["stacked"].append(time.perf_counter() - t0)
        s, c = statistics.median(times["stacked"]), statistics.median(times["np.stack"])
        print("N = %7d  stacked() %8.1f us   np.stack(read_channel) %10.1f us  (%.0fx)" % (n, s * 1e6, c * 1e6, c / s))
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
