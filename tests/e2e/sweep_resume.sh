#!/usr/bin/env bash
# An interrupted sweep (SIGINT, SIGTERM) exits 130 without writing sweep.csv,
# keeps every finished run in its journal, and the same command continues
# without redoing them; the result is byte-identical to an uninterrupted
# sweep, also after a torn last journal line.
# ctest-labels: slow
source "$(dirname "$0")/lib/common.bash"
Q="$DATA/itest.yaml"
D=$(python3 -c 'print(",".join("%.2f" % (0.5 + i / 100) for i in range(20)))')
ARGS=(--grid "simulation.discount=$D" --grid simulation.billing=per-second,per-hour --replicas 5)
TOTAL=200

# the reference: one uninterrupted sweep
"$CMAN_SIM" sweep "$Q" "${ARGS[@]}" -j 2 -q -o "$WORK/ref"
check "reference sweep" test "$(wc -l < "$WORK/ref/sweep.csv")" -eq 41

records() { [ -f "$1/sweep.journal.jsonl" ] && echo $(( $(wc -l < "$1/sweep.journal.jsonl") - 1 )) || echo 0; }

# interrupt JOBS SIGNAL DIR: start a sweep, send SIGNAL once 10 more runs
# are journaled, check it stops with 130 and no sweep.csv.  The sweep is paced
# (20 ms per journaled run, a test hook) so it cannot finish before the signal
# however fast the runs or loaded the machine.
interrupt() {
	local jobs=$1 sig=$2 dir=$3 pid status=0 i start
	start=$(records "$dir")
	CMAN_TEST_SWEEP_PACE_MS=20 "$CMAN_SIM" sweep "$Q" "${ARGS[@]}" -j "$jobs" -o "$dir" > "$WORK/out" 2> "$WORK/err" &
	pid=$!
	for i in $(seq 1 3000); do
		[ "$(records "$dir")" -ge $((start + 10)) ] && break
		sleep 0.01
	done
	kill -"$sig" "$pid" || true
	wait "$pid" || status=$?
	check "$sig -j $jobs: exit 130" test "$status" -eq 130
	check "$sig -j $jobs: no sweep.csv" test ! -e "$dir/sweep.csv"
	check "$sig -j $jobs: says how to continue" grep -q "sweep interrupted: .*run the same command again" "$WORK/err"
	check "$sig -j $jobs: stopped early" test "$(records "$dir")" -lt "$TOTAL"
	check "$sig -j $jobs: journal lines whole" python3 -c '
import json, sys
for l in open(sys.argv[1]): json.loads(l)' "$dir/sweep.journal.jsonl"
}

# resume DIR JOBS: run again; only the missing runs, same bytes as the reference
resume() {
	local dir=$1 jobs=$2 done_before
	done_before=$(records "$dir")
	"$CMAN_SIM" sweep "$Q" "${ARGS[@]}" -j "$jobs" -o "$dir" > "$WORK/out"
	check "resume $dir: $done_before runs from the journal" grep -q "$((TOTAL - done_before)) runs now and $done_before from the journal" "$WORK/out"
	check "resume $dir: every run journaled once" test "$(records "$dir")" -eq "$TOTAL"
	check "resume $dir: sweep.csv as uninterrupted" cmp "$WORK/ref/sweep.csv" "$dir/sweep.csv"
	check "resume $dir: sweep.html as uninterrupted" cmp "$WORK/ref/sweep.html" "$dir/sweep.html"
}

interrupt 2 INT "$WORK/a"
resume "$WORK/a" 2
interrupt 1 INT "$WORK/b"
resume "$WORK/b" 1
interrupt 2 TERM "$WORK/c"
# a torn last line, as a crash in the middle of a write leaves it
printf '{"sets":["simulation.discount=0.99","simulation.bil' >> "$WORK/c/sweep.journal.jsonl"
resume "$WORK/c" 2

# interrupted twice in a row, then finished with another -j
interrupt 2 INT "$WORK/d"
interrupt 2 INT "$WORK/d"
resume "$WORK/d" 1

# a finished sweep interrupted on re-run keeps its sweep.csv
cp "$WORK/ref/sweep.csv" "$WORK/keep.csv"
CMAN_TEST_SWEEP_PACE_MS=20 "$CMAN_SIM" sweep "$Q" "${ARGS[@]}" --replicas 60 -j 2 -o "$WORK/ref" > /dev/null 2>&1 &
pid=$!
for i in $(seq 1 3000); do
	[ "$(records "$WORK/ref")" -ge $((TOTAL + 5)) ] && break
	sleep 0.01
done
kill -INT "$pid" || true   # (a run that already finished fails the checks below)
status=0
wait "$pid" || status=$?
check "interrupted re-run: exit 130" test "$status" -eq 130
check "interrupted re-run: old sweep.csv untouched" cmp "$WORK/keep.csv" "$WORK/ref/sweep.csv"
finish
