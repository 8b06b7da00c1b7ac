#!/usr/bin/env bash
# Bad input: exit status 2, one message naming the file and the position or
# key, no crash, and no summary.json left behind.
source "$(dirname "$0")/lib/common.bash"

# scenario TEXT-OF-METRICS-LINE [EXTRA-YAML]: write $WORK/s.yaml
scenario() {
	cat > "$WORK/s.yaml" <<EOS
name: bad
cluster: test
pool: default
start_time: 2017-12-01T00:00:00Z
end_time: 2017-12-01T02:00:00Z
metrics:
  - $1
${2:-}
EOS
}

# expect_error NAME PATTERN [ARGS...]: run, expect status 2, a single line
# on stderr matching PATTERN, and no summary.json.
expect_error() {
	local name=$1 pattern=$2 status=0
	shift 2
	rm -rf "$WORK/out"
	"$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/out" "$@" 2> "$WORK/err" || status=$?
	if [ "$status" -ne 2 ]; then fail "$name: exit status $status, expected 2"; cat "$WORK/err" >&2; return; fi
	if [ "$(wc -l < "$WORK/err")" -ne 1 ]; then fail "$name: expected one message"; cat "$WORK/err" >&2; return; fi
	if ! grep -Eq -- "$pattern" "$WORK/err"; then fail "$name: message does not match /$pattern/"; cat "$WORK/err" >&2; return; fi
	if [ -e "$WORK/out/summary.json" ]; then fail "$name: summary.json left behind"; return; fi
	pass
}

# --- metrics files ---------------------------------------------------------
scenario "clusterman_json: $WORK/missing.json.gz"
expect_error "missing metrics file" "missing\.json\.gz"

mkdir -p "$WORK/adir.json.gz"
scenario "clusterman_json: $WORK/adir.json.gz"
expect_error "unreadable metrics file" "adir\.json\.gz"

echo 'this is not gzip' > "$WORK/plain.json.gz"
scenario "clusterman_json: $WORK/plain.json.gz"
expect_error "not gzip" "plain\.json\.gz.*gzip"

printf 'xx not json' | gzip > "$WORK/notjson.json.gz"
scenario "clusterman_json: $WORK/notjson.json.gz"
expect_error "gzip of something else" "notjson\.json\.gz:1:"

head -c 200 "$DATA/import_itest-metrics.json.gz" > "$WORK/trunc.json.gz"
scenario "clusterman_json: $WORK/trunc.json.gz"
expect_error "truncated gzip" "trunc\.json\.gz.*(truncat|unexpected end|corrupt)"

echo '{"system_metrics": {"cpus_allocated|cluster=test,pool=default.mesos": [["2017-12-01T00:00:00Z", "many"]]}}' | gzip > "$WORK/type.json.gz"
scenario "clusterman_json: $WORK/type.json.gz"
expect_error "wrong value type" "type\.json\.gz.*cpus_allocated.*expected"

echo '{"system_metrics": {"cpus_allocated|cluster=test,pool=default.mesos": [["yesterday", 1]]}}' | gzip > "$WORK/ts.json.gz"
scenario "clusterman_json: $WORK/ts.json.gz"
expect_error "unparseable timestamp in metrics" "ts\.json\.gz.*yesterday"

echo '{"metadata": {"fulfilled_capacity|cluster=test,pool=default.mesos": [["2017-12-01T00:00:00Z", {"<m9.huge, us-west-2a>": 4}]]}}' | gzip > "$WORK/type2.json.gz"
scenario "clusterman_json: $WORK/type2.json.gz"
expect_error "unknown instance type" "type2\.json\.gz.*m9\.huge"

echo '{"metadata": {"fulfilled_capacity|cluster=test,pool=default.mesos": [["2017-12-01T00:00:00Z", {"<m5.large, mars-north-1a>": 4}]]}}' | gzip > "$WORK/az.json.gz"
scenario "clusterman_json: $WORK/az.json.gz"
expect_error "unknown market" "az\.json\.gz.*mars-north-1a"

printf 'kind,key,timestamp,market,value\nmetadata,"spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=m5.large",2017-12-01T00:00:00Z,,cheap\n' > "$WORK/bad.csv"
scenario "csv: $WORK/bad.csv"
expect_error "CSV value" "bad\.csv:2:[0-9]+:.*cheap"

echo 'not a database' > "$WORK/bad.sqlite"
scenario "sqlite: $WORK/bad.sqlite"
expect_error "not a database" "bad\.sqlite"

# --- the scenario itself --------------------------------------------------
scenario "csv: $DATA/worked_example.csv" "simulation: {billing: per-second"
expect_error "YAML syntax error" "s\.yaml:[0-9]+:[0-9]+:"

scenario "csv: $DATA/worked_example.csv" "simulaton: {}"
expect_error "unknown top-level key" "s\.yaml:[0-9]+:[0-9]+:.*simulaton"

scenario "csv: $DATA/worked_example.csv" "simulation: {biling: per-hour}"
expect_error "unknown nested key" "s\.yaml:8:[0-9]+:.*biling"

scenario "csv: $DATA/worked_example.csv" "simulation: {step_seconds: often}"
expect_error "wrong type" "s\.yaml:8:[0-9]+:.*step_seconds"

scenario "csv: $DATA/worked_example.csv" "simulation: {discount: -1}"
expect_error "out of range" "s\.yaml:8:[0-9]+:.*discount"

scenario "csv: $DATA/worked_example.csv"
sed -i 's/^end_time: .*/end_time: 2017-12-01T00:00:00Z/' "$WORK/s.yaml"
expect_error "end_time <= start_time" "s\.yaml:5:[0-9]+:.*end_time"

scenario "csv: $DATA/worked_example.csv"
sed -i 's/^start_time: .*/start_time: 2017-13-01T00:00:00Z/' "$WORK/s.yaml"
expect_error "unparseable start_time" "s\.yaml:4:[0-9]+:.*start_time"

scenario "csv: $DATA/worked_example.csv"
expect_error "unknown --set key" "--set simulation\.bogus" --set simulation.bogus=1

# the scenario file itself missing
status=0
"$CMAN_SIM" run "$WORK/nope.yaml" -q -o "$WORK/out" 2> "$WORK/err" || status=$?
check "missing scenario exits 2" test "$status" -eq 2
check "missing scenario is named" grep -q "nope\.yaml" "$WORK/err"

# bad usage
status=0
"$CMAN_SIM" run 2> /dev/null || status=$?
check "missing argument exits 2" test "$status" -eq 2
status=0
"$CMAN_SIM" frobnicate 2> /dev/null || status=$?
check "unknown command exits 2" test "$status" -eq 2

# an earlier run's outputs survive a failed run into the same folder
scenario "csv: $DATA/worked_example.csv"
"$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/keep"
cp "$WORK/keep/summary.json" "$WORK/summary.before"
status=0
"$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/keep" --set simulation.discount=zero 2> /dev/null || status=$?
check "failed rerun exits 2" test "$status" -eq 2
check "earlier summary kept" cmp -s "$WORK/keep/summary.json" "$WORK/summary.before"
check "no temporary files left" test -z "$(ls -A "$WORK/keep" | grep -v -x -e summary.json -e timeseries.csv -e instances.csv -e markets.csv -e daily.csv -e report.html -e scenario.yaml -e manifest.json)"
finish
