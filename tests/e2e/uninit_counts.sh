#!/usr/bin/env bash
# Issue 9.1: a market first seen inside a fulfilled_capacity map (no earlier
# series names it) must start from a zero instance count.  Before the fix the
# count was uninitialised memory: gigabytes allocated, "out of memory".
source "$(dirname "$0")/lib/common.bash"

cat > "$WORK/m.csv" <<'EOC'
kind,key,timestamp,market,value
metadata,"fulfilled_capacity|cluster=test,pool=default.mesos",2017-12-01T00:00:00Z,"<m5.large, us-west-2a>",2
system_metrics,"cpus_allocated|cluster=test,pool=default.mesos",2017-12-01T00:00:00Z,,1
EOC
cat > "$WORK/s.yaml" <<EOS
name: uninit
cluster: test
pool: default
start_time: 2017-12-01T00:00:00Z
end_time: 2017-12-01T02:00:00Z
metrics:
  - csv: $WORK/m.csv
EOS

# m5.large has 2 vCPUs, cpus_per_weight 1: weight 2, capacity 2 -> 1 instance
# for the whole 2 hours at the on-demand price (no spot price recorded).
status=0
if [ "${CMAN_SANITIZE:-0}" = 1 ]; then
	timeout 60 "$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/o" 2> "$WORK/err" || status=$?
else
	(ulimit -v 1000000; timeout 60 "$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/o") 2> "$WORK/err" || status=$?
fi
check "runs within 1 GB of address space (status $status)" test "$status" -eq 0
[ "$status" -eq 0 ] || cat "$WORK/err" >&2
if [ "$status" -eq 0 ]; then
	check "one instance launched" test "$(json_get "$WORK/o/summary.json" instances_launched)" = 1
	check "one instance in instances.csv" test "$(tail -n +2 "$WORK/o/instances.csv" | wc -l)" -eq 1
fi

if [ "${CMAN_SANITIZE:-0}" != 1 ] && command -v valgrind > /dev/null; then
	status=0
	valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
		-q "$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/v" 2> "$WORK/vg" || status=$?
	check "valgrind clean (status $status)" test "$status" -eq 0
	[ -s "$WORK/vg" ] && cat "$WORK/vg" >&2
	check "valgrind printed nothing" test ! -s "$WORK/vg"
fi
finish
