#!/usr/bin/env bash
# The daemon loop under valgrind for a few hundred cycles (issue 11): the
# soak test (tests/unit/test_daemon_soak.c) with CMAN_SOAK_CYCLES=300: the
# loop, the health and metrics files, the signal-process supervision (one
# crash and restart) and a real external signal process: no invalid
# access, no uninitialised value used, no definite or indirect leak.
# Then the whole autoscaler: tests/unit/test_daemon_soak_full.c with
# CMAN_SOAK_CYCLES=200 runs the real `clusterman-live autoscale --execute`
# under valgrind (CMAN_SOAK_CHILD_PREFIX) against the in-process fakes of
# EC2, Auto Scaling and Mesos: the same three checks on the daemon.
# ctest-labels: slow live
# ctest-timeout: 900
source "$(dirname "$0")/lib/common.bash"
if [ "${CMAN_SANITIZE:-0}" = 1 ] || [ "${CMAN_SANITIZE:-0}" = TRUE ]; then
	skip "under the sanitizer build (valgrind and ASan do not mix)"
fi
command -v valgrind > /dev/null || skip "valgrind is not installed (tools/setup installs it)"
: "${CMAN_BUILD:?}"
t="$CMAN_BUILD/tests/test_daemon_soak"
check "the soak test is built" test -x "$t"
status=0
( cd "$CMAN_BUILD/tests" && CMAN_SOAK_CYCLES=300 valgrind --error-exitcode=99 \
	--leak-check=full --errors-for-leak-kinds=definite,indirect -q "$t" \
	> "$WORK/out" 2> "$WORK/err" ) || status=$?
check "300 daemon cycles under valgrind: exit status $status" test "$status" -eq 0
if grep -q '^==[0-9]*==' "$WORK/err"; then
	fail "valgrind reported"
	grep '^==[0-9]*==' "$WORK/err" | head -40 >&2
fi
check "the cycles ran" grep -q '^soak: 300 cycles' "$WORK/err"
[ "$status" -eq 0 ] || tail -n 20 "$WORK/out" "$WORK/err" >&2

t="$CMAN_BUILD/tests/test_daemon_soak_full"
check "the whole-autoscaler soak test is built" test -x "$t"
status=0
( cd "$CMAN_BUILD/tests" && CMAN_SOAK_CYCLES=200 CMAN_SOAK_CHILD_PREFIX="valgrind \
--error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect -q" "$t" \
	> "$WORK/full.out" 2> "$WORK/full.err" ) || status=$?
[ "$status" -eq 77 ] && skip "$(tail -n 1 "$WORK/full.err")"
# the daemon's valgrind report is in its log, which the test prints on failure
check "200 autoscale cycles (fakes) with the daemon under valgrind: exit status $status" \
	test "$status" -eq 0
check "the cycles ran" grep -q '^soak-full: 200 cycles' "$WORK/full.err"
[ "$status" -eq 0 ] || tail -n 40 "$WORK/full.out" "$WORK/full.err" >&2
finish
