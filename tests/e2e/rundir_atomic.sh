#!/usr/bin/env bash
# Issue 9.3: a run directory is replaced whole or not at all.  A long run
# (one-second steps: a 48 MB timeseries.csv) is interrupted while it writes
# its outputs (SIGINT, SIGKILL) or stopped by `ulimit -f`: the previous run
# directory stays exactly as it was, and after SIGINT/SIGTERM/EFBIG no
# temporary file or folder is left.  A directory mixing files of two runs is
# refused by report and compare.  Issue 8.5: a second run into a directory
# being written is refused, naming the directory and the writer's pid.
source "$(dirname "$0")/lib/common.bash"
Q="$CMAN_SRC/scenarios/quickstart.yaml"
OUT="$WORK/out"
D="$OUT/q"

# checksums of every file in the run directory (names and bytes)
sums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 md5sum); }
# temporaries anywhere under $OUT (dot names with tmp in them), listed with sizes
leftovers() { find "$OUT" -name '*tmp*' -printf '%p %s\n' | sort; }
# wait until the run has begun writing its big file (a non-empty temporary)
wait_writing() {  # PID
	local i f
	for ((i = 0; i < 6000; i++)); do
		for f in "$OUT"/.q.run-tmp-*/.timeseries.csv.tmp-* "$OUT"/.q.run-tmp-*/timeseries.csv \
			"$D"/.timeseries.csv.tmp-*; do
			[ -s "$f" ] && return 0
		done
		kill -0 "$1" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}
long_run() { trap - EXIT; exec "$CMAN_SIM" run "$Q" -q -o "$D" --set simulation.step_seconds=1 --set seed=5 "$@"; }

"$CMAN_SIM" run "$Q" -q -o "$D"
sums "$D" > "$WORK/before"
# job control: background runs get SIGINT like a foreground one would
set -m
check "a run leaves no temporaries" test -z "$(leftovers)"
check "a run leaves no lock file" test -z "$(find "$OUT" -name '*.lock')"

for sig in INT TERM; do
	find "$OUT" -name '*tmp*' -delete   # (left only by a failing build)
	long_run 2> "$WORK/err.$sig" &
	pid=$!
	if wait_writing $pid; then
		kill -$sig $pid
		st=0; wait $pid || st=$?
		check "SIG$sig: the run dies of the signal (status $st)" test "$st" -ge 128
		check "SIG$sig: the old run directory is unchanged" cmp "$WORK/before" <(sums "$D")
		check "SIG$sig: no temporaries left ($(leftovers | tr '\n' ' '))" test -z "$(leftovers)"
		check "SIG$sig: no lock file left" test -z "$(find "$OUT" -name '*.lock')"
		check "SIG$sig: the old run still reports" "$CMAN_SIM" report "$D"
		sums "$D" > "$WORK/before"
	else
		wait $pid || true
		fail "SIG$sig: the run never started writing"
	fi
done

find "$OUT" -name '*tmp*' -delete
long_run 2> "$WORK/err.KILL" &
pid=$!
if wait_writing $pid; then
	kill -KILL $pid
	wait $pid || true
	check "SIGKILL: the old run directory is unchanged" cmp "$WORK/before" <(sums "$D")
	check "SIGKILL: the old run still reports" "$CMAN_SIM" report "$D"
	# the next run into the directory takes over and removes the leftovers
	"$CMAN_SIM" run "$Q" -q -o "$D" --seed 3
	check "after SIGKILL: the next run removes the leftovers ($(leftovers | tr '\n' ' '))" \
		test -z "$(leftovers)"
	check "after SIGKILL: the next run is whole" "$CMAN_SIM" report "$D"
	check "after SIGKILL: the next run's seed" test "$(json_get "$D/summary.json" seed)" = 3
	sums "$D" > "$WORK/before"
else
	wait $pid || true
	fail "SIGKILL: the run never started writing"
fi

# ulimit -f 8192 (8 MiB): timeseries.csv cannot be written; the write fails
# (SIGXFSZ ignored) and the run cleans up and says why
st=0
(ulimit -f 8192; exec "$CMAN_SIM" run "$Q" -q -o "$D" --set simulation.step_seconds=1) \
	2> "$WORK/err.fsz" || st=$?
check "ulimit -f: exit status 1 (got $st)" test "$st" -eq 1
check "ulimit -f: the error says the file is too large" grep -q "File too large" "$WORK/err.fsz"
check "ulimit -f: the old run directory is unchanged" cmp "$WORK/before" <(sums "$D")
check "ulimit -f: no temporaries left ($(leftovers | tr '\n' ' '))" test -z "$(leftovers)"

# a second writer is refused while the first holds the directory
long_run 2> /dev/null &
pid=$!
for ((i = 0; i < 3000; i++)); do
	[ -e "$OUT/.q.lock" ] && break
	sleep 0.01
done
st=0
"$CMAN_SIM" run "$Q" -q -o "$D" 2> "$WORK/err.lock" || st=$?
kill -INT $pid 2>/dev/null || true
wait $pid || true
check "lock: a second run into the same directory exits 2 (got $st)" test "$st" -eq 2
check "lock: the message names the directory and the holder's pid" \
	grep -q "$D: another run (pid $pid) is writing this run directory" "$WORK/err.lock"
check "lock: the refused run touched nothing" cmp "$WORK/before" <(sums "$D")

# mixed directories are refused by report and compare
"$CMAN_SIM" run "$Q" -q -o "$OUT/other" --seed 9
cp -r "$D" "$WORK/mix1"
cp "$OUT/other/timeseries.csv" "$WORK/mix1/"
st=0; "$CMAN_SIM" report "$WORK/mix1" 2> "$WORK/err.mix1" || st=$?
check "mixed timeseries.csv: report exits 2 (got $st)" test "$st" -eq 2
check "mixed timeseries.csv: the message names the file" \
	grep -q "mix1/timeseries.csv: does not belong to run" "$WORK/err.mix1"
st=0; "$CMAN_SIM" compare "$OUT/other" "$WORK/mix1" -o "$WORK/cmp" 2> "$WORK/err.cmp" || st=$?
check "mixed timeseries.csv: compare exits 2 (got $st)" test "$st" -eq 2
check "mixed: compare wrote nothing" test ! -e "$WORK/cmp/compare.html"
cp -r "$D" "$WORK/mix2"
cp "$OUT/other/summary.json" "$WORK/mix2/"
st=0; "$CMAN_SIM" report "$WORK/mix2" 2> "$WORK/err.mix2" || st=$?
check "mixed summary.json: report exits 2 (got $st)" test "$st" -eq 2
check "mixed summary.json: the message names it" grep -q "mix2/summary.json: belongs to run" "$WORK/err.mix2"
cp -r "$D" "$WORK/mix3"
rm "$WORK/mix3/markets.csv"
st=0; "$CMAN_SIM" report "$WORK/mix3" 2> /dev/null || st=$?
check "a missing file of the manifest: report exits 2 (got $st)" test "$st" -eq 2
# the run id is a hash of the data: recompute it independently
check "run_id is the FNV-1a 64 of the scenario hash and the data files" python3 - "$D" <<'PY'
import json, sys
d = sys.argv[1]
def fnv(h, b):
    for c in b:
        h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
    return h
s = json.load(open(d + "/summary.json"))
h = fnv(0xcbf29ce484222325, s["scenario_hash"].encode())
for f in ("timeseries.csv", "instances.csv", "markets.csv"):
    fh = fnv(0xcbf29ce484222325, open(d + "/" + f, "rb").read())
    h = fnv(h, f.encode() + b"\0")
    h = fnv(h, fh.to_bytes(8, "little"))
m = json.load(open(d + "/manifest.json"))
ok = "%016x" % h == s["run_id"] == m["run_id"]
for f, e in m["files"].items():
    b = open(d + "/" + f, "rb").read()
    ok = ok and e["bytes"] == len(b) and e["fnv1a64"] == "%016x" % fnv(0xcbf29ce484222325, b)
sys.exit(0 if ok else 1)
PY
finish
