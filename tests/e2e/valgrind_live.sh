#!/usr/bin/env bash
# The live adapters' unit tests (tests/unit/test_live_*.c: the AWS client,
# the DynamoDB store, the spot price collector, the spot fleet group) under
# valgrind, against the in-process fake server: no invalid access, no
# uninitialised value used, no definite or indirect leak.  No suppression
# file is needed: what libcurl's and OpenSSL's one-time initialisation
# (curl_global_init) allocates stays reachable until exit, which valgrind
# does not count as a leak, and it makes no invalid access.  Skipped when valgrind
# is not installed or under the sanitizer build.  One at a time: valgrind
# serialises the fake server's thread with the client's, and a loaded
# machine already stretches the tests' timeouts.
# ctest-labels: slow live
# ctest-timeout: 1500
source "$(dirname "$0")/lib/common.bash"
if [ "${CMAN_SANITIZE:-0}" = 1 ] || [ "${CMAN_SANITIZE:-0}" = TRUE ]; then
	skip "under the sanitizer build (valgrind and ASan do not mix)"
fi
command -v valgrind > /dev/null || skip "valgrind is not installed (tools/setup installs it)"
: "${CMAN_BUILD:?}"
tests=()
for t in "$CMAN_BUILD"/tests/test_live_*; do
	[ -x "$t" ] && tests+=("$t")
done
check "the live unit tests are built (${#tests[@]} found)" test "${#tests[@]}" -ge 4
# one_run NAME: the test under valgrind in its own directory, as CTest runs
# it (the plain run uses the fake server); 0 when clean
one_run() {
	( cd "$CMAN_BUILD/tests" && valgrind --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect -q \
		"$CMAN_BUILD/tests/$1" > "$WORK/$1.out" 2> "$WORK/$1.err" )
}
for t in "${tests[@]}"; do
	n=$(basename "$t")
	status=0
	one_run "$n" || status=$?
	if [ "$status" -ne 0 ] && ! grep -q '^==[0-9]*== \(Invalid\|Conditional\|Use of uninit\|Syscall param\|Mismatched\)' "$WORK/$n.err"; then
		# A cmocka assertion that failed (a 5 s client timeout under
		# valgrind on a loaded machine) leaks what the test had not freed
		# yet: run it once more before calling it a finding.
		echo "$n: exit status $status under valgrind, running it once more:"
		grep -E '^\[  (ERROR|FAILED) |^\[   LINE' "$WORK/$n.err" | head -5 || true
		status=0
		one_run "$n" || status=$?
	fi
	check "$n under valgrind: exit status $status" test "$status" -eq 0
	# valgrind's own reports start with ==PID==; cmocka's lines do not
	if grep -q '^==[0-9]*==' "$WORK/$n.err"; then
		fail "$n: valgrind reported"
		grep '^==[0-9]*==' "$WORK/$n.err" | head -40 >&2
	fi
	if [ "$status" -ne 0 ]; then
		tail -n 20 "$WORK/$n.out" "$WORK/$n.err" >&2
	fi
done
finish
