# Shared helpers of the end-to-end tests (sourced).
# Environment from CTest: CMAN_SIM (the binary), CMAN_SRC (source tree),
# CMAN_SANITIZE (1 in the ASan+UBSan build).
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
# json_get FILE KEY: a top-level value of a JSON file
json_get() { python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(json.dumps(v) if isinstance(v,(list,dict)) else v)' "$1" "$2"; }
# near A B [TOL]: |A-B| <= TOL (default 1e-6 relative + 1e-9)
near() { python3 -c 'import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); t=float(sys.argv[3]) if len(sys.argv)>3 else 1e-6; sys.exit(0 if abs(a-b) <= t*max(1,abs(b)) else 1)' "$@"; }
# csv_sum FILE COLUMN: sum of a column
csv_sum() { python3 -c 'import csv,sys; print(repr(sum(float(r[sys.argv[2]] or 0) for r in csv.DictReader(open(sys.argv[1])))))' "$1" "$2"; }
# strip_wall FILE: summary.json without its wall_seconds line
strip_wall() { grep -v '"wall_seconds"' "$1"; }
