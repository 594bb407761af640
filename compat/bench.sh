#!/usr/bin/env bash
# The facade's speed: builds compat/bench twice — on crates.io tokio and with tokio patched to
# the facade — and alternates the two binaries: the sync primitives (`sync`, median of 7 runs
# inside each binary, then the median over ROUNDS alternating runs) and, when wrk is installed,
# the proof service under `wrk -t1 -c64 -d3s --latency` (GET /hello/gopher). Prints a markdown
# table of facade ÷ tokio for BENCHMARKS.md.
#
#   bash compat/bench.sh            # ROUNDS=3 by default
set -euo pipefail
cd "$(dirname "$0")"
ROUNDS="${ROUNDS:-3}"
here="$(pwd)"
out="$here/target/facade-bench"
mkdir -p "$out"

echo "building (crates.io tokio, then the facade)..." >&2
# Each variant resolves afresh: a lock file left by the other would pin its tokio, and Cargo
# would then leave the patch unused with no more than a warning.
rm -f bench/Cargo.lock
cargo build --release --quiet --manifest-path bench/Cargo.toml --target-dir "$out/tokio"
rm -f bench/Cargo.lock
cargo build --release --quiet --manifest-path bench/Cargo.toml --target-dir "$out/facade" \
  --config "patch.crates-io.tokio.path=\"$here/tokio\""
rm -f bench/Cargo.lock
tokio_bin="$out/tokio/release/gosched-tokio-bench"
facade_bin="$out/facade/release/gosched-tokio-bench"
# Proof that each binary is what it claims: only gosched's code has "gosched: " messages.
if ! grep -q "gosched: " "$facade_bin" || grep -q "gosched: " "$tokio_bin"; then
  echo "the facade build does not contain gosched (patch unused?)" >&2
  exit 1
fi

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for r in $(seq "$ROUNDS"); do
  "$tokio_bin" sync >"$out/sync.tokio.$r"
  "$facade_bin" sync >"$out/sync.facade.$r"
done

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "| sync workload | tokio (ms) | facade (ms) | facade ÷ tokio |"
echo "|---|---|---|---|"
for name in $(cut -d' ' -f1 "$out/sync.tokio.1"); do
  t=$(grep -h "^$name " "$out"/sync.tokio.* | cut -d' ' -f2 | median)
  f=$(grep -h "^$name " "$out"/sync.facade.* | cut -d' ' -f2 | median)
  echo "| $name | $t | $f | $(awk -v f="$f" -v t="$t" 'BEGIN {printf "%.2f", f/t}') |"
done

if ! command -v wrk >/dev/null; then
  echo "(wrk not installed: no HTTP rows; apt-get install -y wrk)"
  exit 0
fi

# wrk's p99 in ms.
p99_ms() {
  awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}'
}

serve_and_load() { # $1 = binary, $2 = port; prints "req/s p99_ms"
  "$1" serve "127.0.0.1:$2" >/dev/null &
  local pid=$!
  for _ in $(seq 100); do
    if curl -s -o /dev/null "http://127.0.0.1:$2/hello/up" 2>/dev/null \
      || (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then break; fi
    sleep 0.05
  done
  local res
  res="$(wrk -t1 -c64 -d3s --latency "http://127.0.0.1:$2/hello/gopher")"
  kill -INT "$pid"; wait "$pid" 2>/dev/null || true
  echo "$(echo "$res" | awk '/Requests\/sec/ {print $2}') $(echo "$res" | p99_ms)"
}

port=18080
for r in $(seq "$ROUNDS"); do
  serve_and_load "$tokio_bin" $((port++)) >"$out/http.tokio.$r"
  serve_and_load "$facade_bin" $((port++)) >"$out/http.facade.$r"
done
tr=$(cat "$out"/http.tokio.* | cut -d' ' -f1 | median)
fr=$(cat "$out"/http.facade.* | cut -d' ' -f1 | median)
tp=$(cat "$out"/http.tokio.* | cut -d' ' -f2 | median)
fp=$(cat "$out"/http.facade.* | cut -d' ' -f2 | median)
echo
echo "| axum service under wrk (median of $ROUNDS alternating runs) | tokio | facade | facade ÷ tokio |"
echo "|---|---|---|---|"
echo "| requests/s | $tr | $fr | $(awk -v f="$fr" -v t="$tr" 'BEGIN {printf "%.2f", f/t}') |"
echo "| p99 (ms) | $tp | $fp | $(awk -v f="$fp" -v t="$tp" 'BEGIN {printf "%.2f", f/t}') |"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
