#!/usr/bin/env bash
# What the round-2 diagnostics cost, in instructions (callgrind's Ir), on three workloads of
# benches/diag_cost.rs: with every diagnostic off, and with a slow-poll threshold and the
# flight recorder on. Instruction counts, unlike times, do not move with the machine's load.
#
#   bash benches/diag_cost.sh [BASE_BINARY]
#
# BASE_BINARY: the same bench built from the commit before the diagnostics (without the
# `BENCH_DIAG=on` settings), for the "off vs before" column. Each count has the `none` run's
# (build and drop the runtime) subtracted.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --profile bench --bench diag_cost >/dev/null 2>&1
bin=$(ls -t "${CARGO_TARGET_DIR:-target}"/release/deps/diag_cost-* | grep -v '\.d$' | head -1)
base=${1:-}

ir() { # binary, workload, BENCH_DIAG
  BENCH_DIAG=$3 valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" "$2" 2>&1 >/dev/null |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

printf '| workload | before | off | off vs before | on | on vs off |\n|---|---|---|---|---|---|\n'
z_off=$(ir "$bin" none off); z_on=$(ir "$bin" none on)
z_base=0; [ -n "$base" ] && z_base=$(ir "$base" none off)
for w in chained_spawn yield ping_pong; do
  off=$(( $(ir "$bin" $w off) - z_off ))
  on=$(( $(ir "$bin" $w on) - z_on ))
  if [ -n "$base" ]; then
    before=$(( $(ir "$base" $w off) - z_base ))
    vs=$(python3 -c "print(f'{($off/$before-1)*100:+.2f} %')")
  else
    before=-; vs=-
  fi
  von=$(python3 -c "print(f'{($on/$off-1)*100:+.2f} %')")
  printf '| %s | %s | %s | %s | %s | %s |\n' "$w" "$before" "$off" "$vs" "$on" "$von"
done
