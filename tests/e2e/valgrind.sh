#!/usr/bin/env bash
# The quickstart under valgrind: no invalid access, no leak.
# ctest-labels: slow
source "$(dirname "$0")/lib/common.bash"
if [ "${CMAN_SANITIZE:-0}" = 1 ]; then skip "under the sanitizer build (valgrind and ASan do not mix)"; fi
if ! command -v valgrind > /dev/null; then echo "valgrind missing (tools/setup installs it)"; exit 1; fi
status=0
valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	-q "$CMAN_SIM" run "$CMAN_SRC/scenarios/quickstart.yaml" -q -o "$WORK/q" 2> "$WORK/vg" || status=$?
check "valgrind clean (status $status)" test "$status" -eq 0
[ -s "$WORK/vg" ] && cat "$WORK/vg" >&2
check "valgrind printed nothing" test ! -s "$WORK/vg"
finish
