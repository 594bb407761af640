#!/usr/bin/env bash
# What the round-2 diagnostics cost, in instructions (callgrind's Ir), on three workloads of
# benches/diag_cost.rs, in three builds/settings:
#
#   out  RUSTFLAGS="--cfg gosched_no_diag": the poll path's diagnostics compiled out (the
#        scheduler as it would be without them; as benches/overhead.sh's `gosched_no_trace`)
#   off  the default build, every diagnostic off (the `sched_latency` sampling stays on)
#   on   the default build with a slow-poll threshold and the flight recorder (`BENCH_DIAG=on`)
#
# Instruction counts, unlike times, do not move with the machine's load. Each count has the
# `none` run's (build and drop the runtime) subtracted.
#
#   bash benches/diag_cost.sh
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
cargo build --profile bench --bench diag_cost >/dev/null 2>&1
RUSTFLAGS="--cfg gosched_no_diag" CARGO_TARGET_DIR="$target/no-diag" \
  cargo build --profile bench --bench diag_cost >/dev/null 2>&1
newest() { ls -t "$1"/release/deps/diag_cost-* | grep -v '\.d$' | head -1; }
bin=$(newest "$target")
out=$(newest "$target/no-diag")

ir() { # binary, workload, BENCH_DIAG
  BENCH_DIAG=$3 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" "$2" 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
pct() { python3 -c "print(f'{($1/$2-1)*100:+.2f} %')"; }

printf '| workload | compiled out | off | off vs out | on | on vs off | on vs out |\n'
printf '|---|---|---|---|---|---|---|\n'
z_out=$(ir "$out" none off); z_off=$(ir "$bin" none off); z_on=$(ir "$bin" none on)
for w in chained_spawn yield ping_pong; do
  o=$(( $(ir "$out" $w off) - z_out ))
  off=$(( $(ir "$bin" $w off) - z_off ))
  on=$(( $(ir "$bin" $w on) - z_on ))
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$w" "$o" "$off" "$(pct $off $o)" \
    "$on" "$(pct $on $off)" "$(pct $on $o)"
done
