#!/usr/bin/env bash
# ctest-labels: live
# ctest-timeout: 900
# Recorded metrics through DynamoDB: import the quickstart's metrics into
# DynamoDB tables (moto_server, then dynalite, each started here on
# 127.0.0.1), replay the quickstart from DynamoDB, and get exactly the
# outputs of the replay from SQLite.  No secret may appear in any output.
source "$(dirname "$0")/lib/common.bash"
command -v moto_server >/dev/null || skip "moto_server is not on PATH"

SECRET="e2e-secret-$RANDOM-never-printed"
export AWS_ACCESS_KEY_ID=AKIDE2E AWS_SECRET_ACCESS_KEY="$SECRET" AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL_DYNAMODB

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {  # wait_port PORT PID: until something listens (max 120 s)
	for _ in $(seq 1 600); do
		(exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

# the reference: the quickstart replayed from SQLite
echo "reference run from SQLite"
"$CMAN_SIM" import "$CMAN_SRC/scenarios/data/quickstart-metrics.json.gz" --db "$WORK/m.sqlite" > /dev/null
sed -e "s|clusterman_json: data/quickstart-metrics.json.gz|sqlite: $WORK/m.sqlite|" \
	-e "s|reports: \[csv, html\]|reports: []|" "$CMAN_SRC/scenarios/quickstart.yaml" > "$WORK/q-sqlite.yaml"
"$CMAN_SIM" run "$WORK/q-sqlite.yaml" -q -o "$WORK/sqlite"

roundtrip() {  # roundtrip NAME URL
	local name=$1 url=$2
	export AWS_ENDPOINT_URL=$url
	echo "$name at $url: import, replay, compare"
	if ! "$CMAN_SIM" import "$CMAN_SRC/scenarios/data/quickstart-metrics.json.gz" --db "dynamodb://${name}_" \
		> "$WORK/$name.import" 2> "$WORK/$name.import.err"; then
		cat "$WORK/$name.import.err" >&2
		fail "$name: import into DynamoDB failed"
		return
	fi
	check "$name: import says what it loaded" grep -q "imported 15113 samples of 6 series" "$WORK/$name.import"
	sed -e "s|clusterman_json: data/quickstart-metrics.json.gz|dynamodb: {table_prefix: ${name}_}|" \
		-e "s|reports: \[csv, html\]|reports: []|" "$CMAN_SRC/scenarios/quickstart.yaml" > "$WORK/q-$name.yaml"
	if ! "$CMAN_SIM" run "$WORK/q-$name.yaml" -q -o "$WORK/$name" 2> "$WORK/$name.run.err"; then
		cat "$WORK/$name.run.err" >&2
		fail "$name: the replay from DynamoDB failed"
		return
	fi
	for f in timeseries.csv instances.csv markets.csv; do
		check "$name: same $f as from SQLite" cmp "$WORK/sqlite/$f" "$WORK/$name/$f"
	done
	check "$name: same total cost" test "$(json_get "$WORK/sqlite/summary.json" total_cost)" = \
		"$(json_get "$WORK/$name/summary.json" total_cost)"
	# tables that do not exist: an error naming the table, not an empty run
	local status=0
	sed -e "s|table_prefix: ${name}_|table_prefix: nosuch_|" "$WORK/q-$name.yaml" > "$WORK/q-$name-missing.yaml"
	"$CMAN_SIM" run "$WORK/q-$name-missing.yaml" -q -o "$WORK/$name-missing" 2> "$WORK/$name.missing.err" || status=$?
	check "$name: missing tables fail" test "$status" -ne 0
	check "$name: the error names the table" grep -q "nosuch_system_metrics" "$WORK/$name.missing.err"
	check "$name: no secret in any output" bash -c "! grep -rq -- '$SECRET' '$WORK'/$name*"
}

port=$(free_port)
moto_server -H 127.0.0.1 -p "$port" > "$WORK/moto.log" 2>&1 &
PIDS+=($!)
wait_port "$port" "$!" || { cat "$WORK/moto.log"; fail "moto_server did not start"; finish; }
roundtrip moto "http://127.0.0.1:$port"

DYN_MODULES=${CMAN_DYNALITE_MODULES:-$CMAN_SRC/.deps/node_modules}
if [ -f "$DYN_MODULES/dynalite/cli.js" ] && command -v node >/dev/null; then
	port=$(free_port)
	NODE_PATH="$DYN_MODULES" node "$CMAN_SRC/tests/fake/dynalite_loopback.js" "$port" > "$WORK/dynalite.log" 2>&1 &
	PIDS+=($!)
	wait_port "$port" "$!" || { cat "$WORK/dynalite.log"; fail "dynalite did not start"; finish; }
	roundtrip dynalite "http://127.0.0.1:$port"
else
	echo "SKIPPED part: dynalite is not installed in $DYN_MODULES (tools/setup installs it)" >&2
fi
finish
