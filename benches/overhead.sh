#!/usr/bin/env bash
# What observability and sysmon cost: the gosched side of benches/scheduler.rs in four builds
# or settings, each against the plain run. Prints one table (mean ns per iteration).
#
#   base       default build, tracing compiled in but off, sysmon on
#   no-trace   RUSTFLAGS="--cfg gosched_no_trace": every trace recording site compiled out
#   schedtrace GOSCHED_DEBUG=schedtrace=1000
#   no-sysmon  BENCH_SYSMON=0 (sysmon off)
#
# Usage: bash benches/overhead.sh   (about 6 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
out=target/overhead
mkdir -p "$out"
args=(--bench scheduler -- gosched --warm-up-time 1 --measurement-time 4 --noplot)

run() { # name, then env assignments
  local name=$1; shift
  echo "== $name" >&2
  env "$@" cargo bench "${args[@]}" 2>/dev/null | python3 -c '
import re, sys
name = None
for line in sys.stdin:
    m = re.match(r"^([a-z_]+/gosched)", line)
    if m:
        name = m.group(1)
    t = re.search(r"time:\s+\[\S+ \S+ (\S+) (\S+)", line)
    if t and name:
        print(name, t.group(1), t.group(2))
        name = None
' >"$out/$name.txt"
}

run base
run schedtrace GOSCHED_DEBUG=schedtrace=1000
run no-sysmon BENCH_SYSMON=0
run no-trace RUSTFLAGS="--cfg gosched_no_trace" CARGO_TARGET_DIR=target/no-trace

python3 - "$out" <<'PY'
import sys
out = sys.argv[1]
unit = {"ns": 1, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}
def load(name):
    d = {}
    for line in open(f"{out}/{name}.txt"):
        bench, value, u = line.split()
        d[bench.split("/")[0]] = float(value) * unit[u]
    return d
base = load("base")
cols = ["no-trace", "schedtrace", "no-sysmon"]
other = {c: load(c) for c in cols}
print("| workload | base (ms) | " + " | ".join(f"{c} (ms) | base / {c}" for c in cols) + " |")
print("|---|---|" + "---|---|" * len(cols))
for w, b in base.items():
    cells = []
    for c in cols:
        v = other[c].get(w)
        cells += [f"{v/1e6:.3f}", f"{b/v:.3f}"] if v else ["-", "-"]
    print(f"| {w} | {b/1e6:.3f} | " + " | ".join(cells) + " |")
PY
