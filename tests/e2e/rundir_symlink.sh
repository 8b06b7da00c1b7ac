#!/usr/bin/env bash
# Issue 9.2: links planted under the names of output temporaries are never
# followed.  The planted names are the ones a writer that used
# ".<name>.tmp-<pid>" would pick: the links are made by the shell that then
# execs clusterman-sim under the same pid.  The file outside stays untouched
# and the outputs are regular files.
source "$(dirname "$0")/lib/common.bash"
Q="$CMAN_SRC/scenarios/quickstart.yaml"
VICTIM="$WORK/victim.txt"
echo "precious" > "$VICTIM"
cp "$VICTIM" "$WORK/victim.orig"

# plant DIR NAME... then exec the rest of the arguments (after --)
plant_and_run() {
	local dir=$1; shift
	local names=()
	while [ "$1" != -- ]; do names+=("$1"); shift; done
	shift
	bash -c 'dir=$1; victim=$2; n=$3; shift 3
		for ((i = 0; i < n; i++)); do ln -s "$victim" "$dir/.$1.tmp-$$"; shift; done
		exec "$@"' plant "$dir" "$VICTIM" "${#names[@]}" "${names[@]}" "$@"
}

D="$WORK/run"
"$CMAN_SIM" run "$Q" -q -o "$D"
st=0
plant_and_run "$D" summary.json timeseries.csv instances.csv markets.csv daily.csv report.html -- \
	"$CMAN_SIM" run "$Q" -q -o "$D" --seed 4 || st=$?
check "run with planted links succeeds (status $st)" test "$st" -eq 0
check "run: the outside file is untouched" cmp "$VICTIM" "$WORK/victim.orig"
for f in summary.json timeseries.csv instances.csv markets.csv daily.csv report.html; do
	check "run: $f is a regular file" test -f "$D/$f" -a ! -L "$D/$f"
done
check "run: the new run is in place" test "$(json_get "$D/summary.json" seed)" = 4
check "run: no link left in the run directory" test -z "$(find "$D" -type l)"

st=0
plant_and_run "$D" daily.csv report.html manifest.json -- "$CMAN_SIM" report "$D" || st=$?
check "report with planted links succeeds (status $st)" test "$st" -eq 0
check "report: the outside file is untouched" cmp "$VICTIM" "$WORK/victim.orig"
check "report: report.html is a regular file" test -f "$D/report.html" -a ! -L "$D/report.html"

"$CMAN_SIM" run "$Q" -q -o "$WORK/run2" --seed 2
C="$WORK/cmp"
mkdir -p "$C"
st=0
plant_and_run "$C" compare.html compare.csv series.csv settings.csv -- \
	"$CMAN_SIM" compare "$D" "$WORK/run2" -o "$C" > /dev/null || st=$?
check "compare with planted links succeeds (status $st)" test "$st" -eq 0
check "compare: the outside file is untouched" cmp "$VICTIM" "$WORK/victim.orig"
for f in compare.html compare.csv series.csv; do
	check "compare: $f is a regular file" test -f "$C/$f" -a ! -L "$C/$f"
done

# a link as the run directory itself is refused, not followed
mkdir -p "$WORK/elsewhere"
echo keep > "$WORK/elsewhere/notes.txt"
ln -s "$WORK/elsewhere" "$WORK/linked"
st=0
"$CMAN_SIM" run "$Q" -q -o "$WORK/linked" 2> "$WORK/err" || st=$?
check "a link as the run directory: exit 2 (got $st)" test "$st" -eq 2
check "a link as the run directory: said so" grep -q "is a symbolic link" "$WORK/err"
check "a link as the run directory: its target untouched" test "$(ls "$WORK/elsewhere")" = notes.txt
# a folder that is not a run is not replaced
st=0
"$CMAN_SIM" run "$Q" -q -o "$WORK/elsewhere" 2> "$WORK/err" || st=$?
check "a folder that is not a run: exit 2 (got $st)" test "$st" -eq 2
check "a folder that is not a run: said so" grep -q "is not a run directory" "$WORK/err"
check "a folder that is not a run: kept" test "$(cat "$WORK/elsewhere/notes.txt")" = keep
finish
