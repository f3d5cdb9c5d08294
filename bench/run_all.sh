#!/usr/bin/env bash
# Builds the benchmarks (Release) and runs them all, then prints one table of
# figures, baselines and ratios and draws decode time against array size.
#   bash bench/run_all.sh                 # everything, 1 GiB cases included
#   TINMAN_BENCH_LARGE=0 bash bench/run_all.sh   # skip the 1 GiB cases
#   TINMAN_BENCH_QUICK=1 bash bench/run_all.sh   # bench_mcap with small counts
# Results: build/bench/results/{*.csv,summary.md,decode_vs_size.png}.
# Files are written under $TINMAN_BENCH_DIR (default: /var/tmp, a disk file
# system); the 1 GiB cases need about 3 GiB free there.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps
if ! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null && [[ $(id -u) -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-matplotlib >/dev/null ||
        echo "note: python3-matplotlib not installed; the plot is skipped"
fi

build=build/bench
results=$build/results
# MCAP, bench_mcap's peer: a local copy next to the repository when there is one.
peers=()
if [[ -f ../shared/peers/mcap/cpp/mcap/include/mcap/reader.hpp ]]; then
    peers+=("-DFETCHCONTENT_SOURCE_DIR_MCAP=$(cd ../shared/peers/mcap && pwd)")
fi
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DTINMAN_BUILD_BENCH=ON \
    -DTINMAN_BUILD_TESTS=OFF -DTINMAN_BUILD_EXAMPLES=OFF "${peers[@]}" >/dev/null
cmake --build "$build" -j "${TINMAN_JOBS:-2}"
rm -rf "$results"
mkdir -p "$results"

export TINMAN_BENCH_RESULTS=$PWD/$results
export TINMAN_BENCH_LARGE=${TINMAN_BENCH_LARGE:-1}
failed=()
for program in "$build"/bench/bench_*; do
    [[ -x $program && -f $program ]] || continue
    name=$(basename "$program")
    echo "==> $name"
    "$program" --benchmark_out="$results/$name.json" --benchmark_out_format=json \
        >"$results/$name.log" 2>&1 || failed+=("$name")
    sed -n '/^== .* summary ==$/,$p' "$results/$name.log"
done

/usr/bin/python3 bench/report.py "$results"
{
    echo
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')," \
         "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), kernel $(uname -r)"
    echo "compiler: $(c++ --version | head -n1)"
} | tee -a "$results/summary.md"
if ((${#failed[@]})); then
    echo "failed: ${failed[*]} (logs in $results)" >&2
    exit 1
fi
