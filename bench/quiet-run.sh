#!/usr/bin/env bash
# The one benchmark run on a quiet machine (issues #13 and #8), all four measurements in a row with
# their full sizes, each bounded by its own budget, logs and raw JSON in
# bench/results/quiet-run-<date>/, then a summary to paste into bench/README.md.
#
# Why one script: the figures are only comparable when they come from one quiet stretch of the
# same machine, and a run that hangs must not eat the stretch — every step has a budget (the
# bench's own --budget, and `timeout` as a backstop that signals the whole process group, so the
# bench's own clean-up stops its servers, PostgreSQL and redis-server).
#
#   bench/quiet-run.sh                     # everything: expected 8–15 min on a quiet 2-core box; budgets 25 min
#                                          # (+1 min grace per step before the backstop: never more than ~29)
#   BEFORE=/tmp/kit-before bench/quiet-run.sh   # the "before" checkout of the floods (default /tmp/kit-before)
#   STEPS="sql storm" bench/quiet-run.sh   # some steps only: sql storm fanout floods
#   QUICK=1 bench/quiet-run.sh             # smoke sizes: checks the wiring (4.5 min on a busy box; figures mean nothing)
#
# Steps, budgets (minutes) and the expected time on a quiet box, estimated from busy-machine smoke runs:
#   sql ~2, storm ~2, fanout ~2–3 (plus up to 30 s per target waiting for the machine to be idle), floods ~3–5
#   (the floods' "before" server works off its ack backlog statement by statement: the least certain).
#   sql     npm run bench:broadcast-sql -- --postgres               N = 10,000 + 10 tabs, PGlite and PostgreSQL   (7)
#   storm   npm run bench:replay -- --postgres --only storm          1,000 clients × 3 rounds, PGlite and PostgreSQL (5)
#   fanout  npm run bench -- --n 10000 --targets gateway-memory,raw-ws  20 rounds, 5 s sustained               (6)
#   floods  npm run bench:floods -- --before $BEFORE                 1,500 handshakes, 500 sockets × 15 acks/s × 10 s (7)
set -u
cd "$(dirname "$0")/.."

BEFORE="${BEFORE:-/tmp/kit-before}"
STEPS="${STEPS:-sql storm fanout floods}"
DIR="bench/results/quiet-run-$(date -u +%Y-%m-%dT%H-%MZ)"
mkdir -p "$DIR"
SUMMARY="$DIR/steps.tsv"
: >"$SUMMARY"

echo "quiet run → $DIR · $(nproc) cores · load $(cut -d' ' -f1-3 /proc/loadavg) · steps: $STEPS"
if [ "$(cut -d' ' -f1 /proc/loadavg | cut -d. -f1)" -ge 1 ]; then
  echo "WARNING: load average $(cut -d' ' -f1 /proc/loadavg) — the machine is not quiet; figures will be disturbed."
fi

RUNNING=""
trap 'echo "interrupted: stopping the running step"; [ -n "$RUNNING" ] && kill -TERM "$RUNNING" 2>/dev/null; wait; exit 130' INT TERM

# step <name> <budget minutes> <command…>: runs it under `timeout`, logs to $DIR/<name>.log, copies
# the JSON it wrote to bench/results/ (newer than the step's start) next to the log.
step() {
  local name="$1" budget="$2"
  shift 2
  local marker="$DIR/.start-$name"
  touch "$marker"
  local started=$SECONDS
  echo "== $name (budget $budget min): $*"
  # timeout runs in its own process group; Ctrl-C of this script is passed on to it (and by it to the bench).
  timeout --kill-after=30 "$(((budget + 1) * 60))" "$@" >"$DIR/$name.log" 2>&1 &
  RUNNING=$!
  wait "$RUNNING"
  local rc=$?
  RUNNING=""
  local took=$((SECONDS - started))
  find bench/results -maxdepth 1 -name '*.json' -newer "$marker" -exec cp {} "$DIR/" \;
  rm -f "$marker"
  [ "$rc" -eq 124 ] && echo "   $name: OVER BUDGET, stopped"
  echo "   $name: exit $rc after ${took} s (log: $DIR/$name.log)"
  printf '%s\t%s\t%s\n' "$name" "$rc" "$took" >>"$SUMMARY"
}

# QUICK=1: smoke sizes, to check the wiring before the quiet stretch (its figures mean nothing).
if [ "${QUICK:-}" = 1 ]; then
  SQL_ARGS=(--quick) STORM_ARGS=(--quick) FANOUT_ARGS=(--quick --wait-idle 1) FLOODS_ARGS=(--acks 50 --handshakes 150 --seconds 3)
else
  SQL_ARGS=() STORM_ARGS=() FANOUT_ARGS=(--n 10000) FLOODS_ARGS=()
fi
if [ -d "$BEFORE" ]; then
  FLOODS_ARGS+=(--before "$BEFORE")
else
  echo "WARNING: $BEFORE not found: the floods measure this checkout only (no before/after)"
fi

for s in $STEPS; do
  case "$s" in
    sql) step sql 7 npm run bench:broadcast-sql -- --postgres --budget 7 "${SQL_ARGS[@]}" ;;
    storm) step storm 5 npm run bench:replay -- --postgres --only storm --budget 5 "${STORM_ARGS[@]}" ;;
    fanout) step fanout 6 npm run bench -- --targets gateway-memory,raw-ws --budget 6 "${FANOUT_ARGS[@]}" ;;
    floods) step floods 7 npm run bench:floods -- "${FLOODS_ARGS[@]}" ;;
    *) echo "unknown step $s (sql storm fanout floods)" ;;
  esac
done

echo
node_modules/.bin/tsx bench/quiet-run-summary.ts "$DIR" | tee "$DIR/summary.md"
