#!/usr/bin/env bash
# ctest-labels: live
# clusterman-live disable / enable on a pool whose state lives in an SQLite
# store, then in DynamoDB (moto_server started here on 127.0.0.1, with a
# state table named by aws.state_table): the item written is Clusterman's
# (read back here with Python's sqlite3 and boto3, not with our code), the
# times of --until are computed here independently, a time already past is
# refused with nothing written, and enable removes the item.
source "$(dirname "$0")/lib/common.bash"
: "${CMAN_LIVE:?}"
L=$CMAN_LIVE
export AWS_ACCESS_KEY_ID=AKIDOPS AWS_SECRET_ACCESS_KEY="ops-secret-$RANDOM-never-printed" AWS_REGION=us-west-2 AWS_DEFAULT_REGION=us-west-2
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL CMAN_CLUSTER CMAN_POOL
C="$WORK/etc"
mkdir -p "$C/clusters/norcal"
cat > "$C/clusters/norcal/default.mesos" <<'YAML'
resource_groups:
  - sfr: {tag: clusterman_pool}
scaling_limits: {min_capacity: 0, max_capacity: 50, max_weight_to_add: 10, max_weight_to_remove: 10}
YAML
service() {  # service METRICS_YAML EXTRA_AWS_YAML
	cat > "$C/clusterman.yaml" <<YAML
aws:
  region: us-west-2
$2
clusters:
  norcal:
    aws_region: us-west-2
    mesos_master_fqdn: http://127.0.0.1:9
metrics:
$1
YAML
}

# ---- usage ---------------------------------------------------------------------------
service "  sqlite: metrics.sqlite" ""
"$L" disable --help > "$WORK/h" && check "disable --help names --until" grep -q -- "--until TIME" "$WORK/h" || fail "disable --help"
"$L" enable --help > "$WORK/h" || fail "enable --help"
st=0; "$L" --config "$C/clusterman.yaml" disable --pool default 2> "$WORK/e" || st=$?
check "no cluster: exit 2" test "$st" = 2
check "no cluster: says so" grep -q -- "--cluster" "$WORK/e"
st=0; CMAN_CLUSTER=norcal "$L" --config "$C/clusterman.yaml" enable 2> "$WORK/e" || st=$?
check "no pool: exit 2" test "$st" = 2
st=0; "$L" --config "$C/clusterman.yaml" disable --cluster norcal --pool default --until soon 2> "$WORK/e" || st=$?
check "bad --until: exit 2" test "$st" = 2
check "bad --until: names it" grep -q -- "--until 'soon'" "$WORK/e"
st=0; "$L" --config "$C/clusterman.yaml" disable --cluster norcal --pool nosuch 2> "$WORK/e" || st=$?
check "unknown pool: exit 2" test "$st" = 2
check "unknown pool: names the pool file" grep -q "nosuch.mesos" "$WORK/e"

# ---- SQLite --------------------------------------------------------------------------
sql_item() {  # the pause item as "timestamp expiration", or "none"
	python3 - "$C/metrics.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
try:
    rows = db.execute("SELECT timestamp, expiration_timestamp FROM cluster_state "
                      "WHERE state='autoscaler_paused' AND entity='norcal.default.mesos'").fetchall()
except sqlite3.OperationalError:
    rows = []
print("%d %d" % rows[0] if rows else "none")
PY
}
iso() { python3 -c 'import sys, datetime; print(datetime.datetime.fromtimestamp(int(sys.argv[1]), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$1"; }

pause_checks() {  # pause_checks NAME ITEM_FN
	local name=$1 item=$2 out t0 t1 ts ex want
	t0=$(date +%s)
	out=$("$L" --config "$C/clusterman.yaml" disable --cluster norcal --pool default) || fail "$name: disable"
	t1=$(date +%s)
	read -r ts ex <<< "$($item)"
	check "$name: default pause written at now" test "$ts" -ge "$t0" -a "$ts" -le "$t1"
	check "$name: default pause is 30 minutes" test "$((ex - ts))" = 1800
	check "$name: says so" grep -q "30 minutes" <<< "$out"
	check "$name: message" grep -q "The autoscaler for norcal.default.mesos was paused at $(iso "$ts") until $(iso "$ex")" <<< "$out"

	out=$("$L" --config "$C/clusterman.yaml" disable --cluster norcal --pool default --until 1h30m) || fail "$name: disable 1h30m"
	read -r ts ex <<< "$($item)"
	check "$name: 1h30m" test "$((ex - ts))" = 5400
	check "$name: replacing says until when it was" grep -q "already paused until" <<< "$out"

	# an absolute time with a negative offset (Clusterman replaced it by US/Pacific)
	want=$(python3 -c 'import datetime; print(int(datetime.datetime(2031,1,2,3,4,5,tzinfo=datetime.timezone(datetime.timedelta(hours=-5))).timestamp()))')
	"$L" --config "$C/clusterman.yaml" disable --cluster norcal --pool default --until 2031-01-02T03:04:05-05:00 > /dev/null || fail "$name: disable absolute"
	read -r ts ex <<< "$($item)"
	check "$name: -05:00 honoured" test "$ex" = "$want"
	want=$(python3 -c 'import datetime; print(int(datetime.datetime(2031,1,2,3,4,5,tzinfo=datetime.timezone.utc).timestamp()))')
	"$L" --config "$C/clusterman.yaml" disable --cluster norcal --pool default --until "2031-01-02 03:04:05" > /dev/null || fail "$name: disable zone-less"
	read -r ts ex <<< "$($item)"
	check "$name: no zone is UTC" test "$ex" = "$want"

	# in the past: refused, the item unchanged
	st=0; "$L" --config "$C/clusterman.yaml" disable --cluster norcal --pool default --until 2020-01-01T00:00:00Z 2> "$WORK/e" > /dev/null || st=$?
	check "$name: past --until: exit 2" test "$st" = 2
	check "$name: past --until: says so" grep -q "in the past" "$WORK/e"
	check "$name: past --until: nothing written" test "$($item)" = "$ts $want"

	out=$("$L" --config "$C/clusterman.yaml" enable --cluster norcal --pool default) || fail "$name: enable"
	check "$name: enable removes the item" test "$($item)" = none
	check "$name: enable says until when it was paused" grep -q "was enabled at .* (it was paused until 2031-01-02T03:04:05Z)" <<< "$out"
	out=$("$L" --config "$C/clusterman.yaml" enable --cluster norcal --pool default) || fail "$name: enable again"
	check "$name: enable when not paused" grep -q "it was not paused" <<< "$out"
}
pause_checks sqlite sql_item

# ---- DynamoDB (moto_server) -----------------------------------------------------------
if ! command -v moto_server > /dev/null; then
	echo "moto_server is not on PATH: the DynamoDB half is not run"
	finish
	exit
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" > "$WORK/moto.log" 2>&1 &
MOTO=$!
trap 'kill $MOTO 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
for _ in $(seq 1 600); do
	(exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break
	kill -0 "$MOTO" 2>/dev/null || break
	sleep 0.2
done
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
# the tables an operator (or Clusterman) made: the metrics tables and a state
# table under the name aws.state_table gives
python3 - <<'PY'
import boto3
d = boto3.client("dynamodb")
for t in ("clusterman_system_metrics", "clusterman_app_metrics", "clusterman_metadata"):
    d.create_table(TableName=t, BillingMode="PAY_PER_REQUEST",
                   KeySchema=[{"AttributeName": "key", "KeyType": "HASH"},
                              {"AttributeName": "timestamp", "KeyType": "RANGE"}],
                   AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"},
                                         {"AttributeName": "timestamp", "AttributeType": "N"}])
d.create_table(TableName="ops_state", BillingMode="PAY_PER_REQUEST",
               KeySchema=[{"AttributeName": "state", "KeyType": "HASH"},
                          {"AttributeName": "entity", "KeyType": "RANGE"}],
               AttributeDefinitions=[{"AttributeName": "state", "AttributeType": "S"},
                                     {"AttributeName": "entity", "AttributeType": "S"}])
PY
service "  dynamodb: {table_prefix: clusterman_}" "  state_table: ops_state"
ddb_item() {
	python3 <<'PY'
import boto3
d = boto3.client("dynamodb")
it = d.get_item(TableName="ops_state", ConsistentRead=True,
                Key={"state": {"S": "autoscaler_paused"}, "entity": {"S": "norcal.default.mesos"}}).get("Item")
print("%s %s" % (it["timestamp"]["N"], it["expiration_timestamp"]["N"]) if it else "none")
PY
}
pause_checks dynamodb ddb_item
# nothing went to the default state table name
python3 -c '
import boto3
names = boto3.client("dynamodb").list_tables()["TableNames"]
assert "clusterman_cluster_state" not in names, names
' && pass || fail "dynamodb: the default state table was used instead of aws.state_table"
if grep -rq "$AWS_SECRET_ACCESS_KEY" "$WORK" --exclude=moto.log; then fail "the secret appears in an output"; else pass; fi
finish
