#!/usr/bin/env python3
"""Turns the benchmark CSVs of RESULTS_DIR into a report:
RESULTS_DIR/summary.md, one markdown table of every figure, baseline, ratio and
target, and RESULTS_DIR/decode_vs_size.png, decode time against array size on
log-log axes (from bench_decode's decode_times.csv; needs python3-matplotlib).

usage: report.py RESULTS_DIR
"""
import csv
import sys
from collections import defaultdict

import os

STYLE = {  # method -> (marker, line style); order is the legend's
    "zero_copy": ("o", "-"),
    "open_decode": ("s", ":"),
    "pread": ("^", "--"),
    "hdf5": ("D", "--"),
    "load_npy": ("v", "-."),
}


def size_label(n):
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:g} {unit}"
    return f"{n} B"


PROGRAMS = ["bench_decode", "bench_memory", "bench_write", "bench_read_vs_write", "bench_peers", "bench_navigation",
            "bench_mcap"]


def format_ratio(r):
    return f"{r:.0f}x" if r >= 100 else f"{r:.3g}x"


def write_table(results):
    lines = [
        "| program | case | tinman | value | baseline | value | ratio | target | result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for program in PROGRAMS:
        path = os.path.join(results, program + ".csv")
        if not os.path.exists(path):
            continue
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                ratio = format_ratio(float(r["ratio"])) if r["ratio"] else ""
                baseline_value = r["baseline_text"] if r["baseline"] else ""
                cells = [program, r["case"], r["tinman"], r["value_text"], r["baseline"], baseline_value, ratio,
                         r["target"], r["result"]]
                lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    out = os.path.join(results, "summary.md")
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {out}")


def plot_decode(results):
    try:
        import matplotlib
    except ImportError:
        print("no matplotlib (Debian: python3-matplotlib): decode_vs_size.png not drawn")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = os.path.join(results, "decode_vs_size.png")
    series = defaultdict(list)
    labels = {}
    with open(os.path.join(results, "decode_times.csv"), newline="") as f:
        for row in csv.DictReader(f):
            series[row["method"]].append((int(row["bytes"]), float(row["ns"]) / 1e3))
            labels[row["method"]] = row["label"]
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    sizes = sorted({b for points in series.values() for b, _ in points})
    for method in sorted(series, key=lambda m: list(STYLE).index(m) if m in STYLE else len(STYLE)):
        points = sorted(series[method])
        marker, line = STYLE.get(method, ("x", "-"))
        ax.plot([b for b, _ in points], [us for _, us in points], marker=marker, linestyle=line, label=labels[method])
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(sizes, [size_label(b) for b in sizes])
    ax.set_xlabel("array size")
    ax.set_ylabel("time to get the array (µs, warm page cache)")
    ax.set_title("Reading one array: zero-copy decode vs copying reads")
    ax.grid(True, which="major", alpha=0.4)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out)
    print(f"wrote {out}")


def main():
    results = sys.argv[1]
    write_table(results)
    if os.path.exists(os.path.join(results, "decode_times.csv")):
        plot_decode(results)


if __name__ == "__main__":
    main()
