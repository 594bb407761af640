#!/usr/bin/env bash
# What the diagnostics cost, in instructions (callgrind's Ir), on three workloads of
# benches/diag_cost.rs, in three builds/settings:
#
#   out  RUSTFLAGS="--cfg gosched_no_diag": the poll path's diagnostics compiled out (the
#        scheduler as it would be without them; as benches/overhead.sh's `gosched_no_trace`)
#   off  the default build, every diagnostic off (the `sched_latency` sampling stays on)
#   on   the default build with a slow-poll threshold and the flight recorder (`BENCH_DIAG=on`)
#
# Instruction counts, unlike times, do not move with the machine's load. Each count has the
# `none` run's (build and drop the runtime) subtracted. Whole-program counts also move by a
# percent or two with LLVM's inlining between builds, so the last column counts only the
# instructions on the diagnostics' own lines (executor/src/diag/{poll,tsc,histogram,ring}.rs,
# inlined code included) in the "off" run, per poll.
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
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ir() { # binary, workload, BENCH_DIAG
  BENCH_DIAG=$3 valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" "$1" "$2" 2>&1 \
    >"$tmp/stdout" | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
own() { # the last run's instructions on the diagnostics' lines, and its polls
  local polls lines
  polls=$(sed -n 's/.* polls=\([0-9]*\).*/\1/p' "$tmp/stdout")
  lines=$(callgrind_annotate --show-percs=no "$tmp/cg" 2>/dev/null |
    grep -E 'src/diag/(poll|tsc|histogram|ring)\.rs:|x86/rdtsc\.rs:' |
    awk '{gsub(",", "", $1); s += $1} END {print s + 0}')
  echo "$lines $polls"
}
pct() { python3 -c "print(f'{($1/$2-1)*100:+.2f} %')"; }

printf '| workload | compiled out | off | off vs out | on | on vs off | on vs out | own lines, off, per poll |\n'
printf '|---|---|---|---|---|---|---|---|\n'
z_out=$(ir "$out" none off); z_on=$(ir "$bin" none on); z_off=$(ir "$bin" none off)
read -r z_lines z_polls <<<"$(own)"
for w in chained_spawn yield ping_pong; do
  o=$(( $(ir "$out" $w off) - z_out ))
  on=$(( $(ir "$bin" $w on) - z_on ))
  off=$(( $(ir "$bin" $w off) - z_off ))
  read -r lines polls <<<"$(own)"
  lines=$(python3 -c "print(f'{($lines - $z_lines) / ($polls - $z_polls):.1f}')")
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$w" "$o" "$off" "$(pct $off $o)" \
    "$on" "$(pct $on $off)" "$(pct $on $o)" "$lines"
done
