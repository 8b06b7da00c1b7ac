# Shared helpers of the end-to-end tests (sourced).
# Environment from CTest: CMAN_SIM and CMAN_LIVE (the binaries), CMAN_SRC (source tree),
# CMAN_SANITIZE (1 in the ASan+UBSan build), CMAN_BUILD (the build tree),
# CMAN_MPI (1 in an MPI build); CTest puts the real python3 first on PATH.
# Temporary files go under $TMPDIR (default /tmp).
#
# The helpers below run awk, not Python, where they can: a check should not
# cost an interpreter start-up.
set -euo pipefail
: "${CMAN_SIM:?}" "${CMAN_SRC:?}"
DATA="$CMAN_SRC/tests/data"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cman-e2e.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
FAILS=0
PASSES=0

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
pass() { PASSES=$((PASSES + 1)); }
check() {  # check DESCRIPTION COMMAND...
	local what=$1; shift
	if "$@"; then pass; else fail "$what"; fi
}
finish() {
	echo "$PASSES passed, $FAILS failed"
	[ "$FAILS" -eq 0 ]
}
# skip REASON: this test cannot run here; CTest reports it as skipped
# (SKIP_RETURN_CODE 77), never as passed
skip() { echo "SKIPPED: $*"; exit 77; }

# json_get FILE KEY: a top-level value of a JSON file, printed as Python
# prints it (True/False/None; lists and maps as JSON).  Plain scalars of a
# file indented by 2 (summary.json) are read by awk, the rest by Python.
json_get() {
	local v
	if v=$(awk -v key="$2" '
		BEGIN { pre = "  \"" key "\": " }
		index($0, pre) == 1 {
			v = substr($0, length(pre) + 1); sub(/,[ \t\r]*$/, "", v)
			if (v ~ /^"[^"\\]*"$/) { print substr(v, 2, length(v) - 2); found = 1 }
			else if (v == "true") { print "True"; found = 1 }
			else if (v == "false") { print "False"; found = 1 }
			else if (v == "null") { print "None"; found = 1 }
			else if (v ~ /^-?[0-9]+$/ && length(v) <= 15) { print v; found = 1 }
			else if (v ~ /^-?[0-9]+\.([0-9]*[1-9]|0)$/ && length(v) <= 16) { print v; found = 1 }
			exit
		}
		END { exit !found }' "$1"); then
		printf '%s\n' "$v"
	else
		python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(json.dumps(v) if isinstance(v,(list,dict)) else v)' "$1" "$2"
	fi
}
# near A B [TOL]: |A-B| <= TOL * max(1, |B|) (TOL default 1e-6); false for
# anything that is not a finite decimal number
near() {
	awk -v a="$1" -v b="$2" -v t="${3:-1e-6}" 'BEGIN {
		num = "^[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?$"
		if (a !~ num || b !~ num || t !~ num) exit 1
		a += 0; b += 0; t += 0
		m = b < 0 ? -b : b; if (m < 1) m = 1
		d = a - b; if (d < 0) d = -d
		exit !(d <= t * m)
	}'
}
# The awk function fields(line, f): RFC 4180 fields of one line into f[1..n].
CSV_AWK='
function fields(line, f,    n, i, c, q, cur) {
	if (index(line, "\"") == 0)
		return split(line, f, ",")
	n = 0; cur = ""; q = 0
	for (i = 1; i <= length(line); i++) {
		c = substr(line, i, 1)
		if (q) {
			if (c != "\"") cur = cur c
			else if (substr(line, i + 1, 1) == "\"") { cur = cur c; i++ }
			else q = 0
		} else if (c == "\"") q = 1
		else if (c == ",") { f[++n] = cur; cur = "" }
		else cur = cur c
	}
	f[++n] = cur
	return n
}
function header(line, h, col,    n, i) {
	n = fields(line, h)
	for (i = 1; i <= n; i++) col[h[i]] = i
	return n
}
# the row f matches every condition c[1..n]: "COL=VALUE" or "COL%=SUFFIX"
function matches(f, col, c, n,    i, p, k, v) {
	for (i = 1; i <= n; i++) {
		if (c[i] == "") continue
		if ((p = index(c[i], "%=")) > 0) {
			k = col[substr(c[i], 1, p - 1)]; v = substr(c[i], p + 2)
			if (!k || length(f[k]) < length(v) || substr(f[k], length(f[k]) - length(v) + 1) != v)
				return 0
		} else {
			p = index(c[i], "="); k = col[substr(c[i], 1, p - 1)]
			if (!k || f[k] != substr(c[i], p + 1))
				return 0
		}
	}
	return 1
}'
# csv_sum FILE COLUMN [COL=VALUE | COL%=SUFFIX]...: sum of a column by its
# header name (empty cells 0) over the rows whose cells match (all rows)
csv_sum() {
	local file=$1 want=$2; shift 2
	awk -v want="$want" -v conds="$(printf '%s\n' "$@")" "$CSV_AWK"'
	{ sub(/\r$/, "") }
	NR == 1 { header($0, h, col); k = col[want]; n = split(conds, c, "\n")
		  if (!k) { print "csv_sum: no column " want > "/dev/stderr"; bad = 1; exit 1 }
		  next }
	{ fields($0, f); if (matches(f, col, c, n)) s += f[k] }
	END { if (!bad) printf "%.17g\n", s + 0; exit bad }' "$file"
}
# csv_get FILE COLUMN [COL=VALUE | COL%=SUFFIX]...: COLUMN of the first row
# whose cells equal VALUE (end with SUFFIX); false when there is none
csv_get() {
	local file=$1 want=$2; shift 2
	awk -v want="$want" -v conds="$(printf '%s\n' "$@")" "$CSV_AWK"'
	{ sub(/\r$/, "") }
	NR == 1 { header($0, h, col); n = split(conds, c, "\n"); next }
	{ fields($0, f); if (matches(f, col, c, n) && col[want]) { print f[col[want]]; found = 1; exit } }
	END { exit !found }' "$file"
}
# json_has FILE KEY: FILE (indented JSON, summary.json) has the top-level KEY
json_has() { grep -q "^  \"$2\": " "$1"; }
# awk_true EXPR: the awk expression is true (numbers: "3 < 4.5")
awk_true() { awk "BEGIN { exit !($1) }"; }
# strip_wall FILE: summary.json without its wall_seconds line
strip_wall() { grep -v '"wall_seconds"' "$1"; }
