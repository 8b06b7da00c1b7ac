#!/usr/bin/env bash
# ctest-labels: live
# clusterman-live collect for a simulated hour (30 cycles two minutes
# apart, test clock CMAN_COLLECT_CLOCK; spot prices in one-minute slots) against a scripted cluster: a fake Mesos
# master and EC2 spot price history (tests/e2e/lib/fake_cluster.py) in front
# of moto_server, where the pool's Spot Fleet request follows the script's
# target; into SQLite and into DynamoDB (moto_server).  clusterman-sim then
# replays each store, and the test checks, by its own computation from the
# script, that the replay's allocated resources, target, fulfilled capacity
# and joined cpus at every minute are the fake cluster's, and that its cost
# is what the collected spot prices (Clusterman's slots) charge for that
# fleet.
source "$(dirname "$0")/lib/common.bash"
: "${CMAN_LIVE:?}"
command -v moto_server > /dev/null || skip "moto_server is not on PATH (the pool's Spot Fleet and DynamoDB)"
L=$CMAN_LIVE
T0=1767571200            # 2026-01-05T00:00:00Z
CYCLES=30
STEP=120

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

# ---- the fake cluster's script, and what a replay of it must show --------
# (one Python run: a script of two pools' agents and load per minute and of
# spot price changes; then, computed from that script and from nothing the
# programs write, the expected allocations, the fleet the replay prices and
# its expected cost)
python3 - "$WORK" "$T0" "$CYCLES" "$STEP" <<'EOF'
import json, sys
work, t0, n, step = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
steps = []
for i in range(n):
    agents = []
    for k in range(2 + i % 3):                      # batch: 2..4 agents
        agents.append({"id": "b%d" % k, "ip": "10.0.1.%d" % (k + 1), "pool": "batch",
                       "total": {"cpus": 16, "mem": 30000, "disk": 100000, "gpus": 0},
                       "used": {"cpus": (i * 7 + k * 3) % 17, "mem": 1000 * (i % 5) + 100 * k,
                                "disk": 10 * i, "gpus": 0}})
    agents.append({"id": "w0", "ip": "10.0.2.1", "pool": "web",
                   "total": {"cpus": 8, "mem": 15000, "disk": 50000, "gpus": 1},
                   "used": {"cpus": i % 9, "mem": 500, "disk": 0, "gpus": i % 2}})
    agents.append({"id": "o0", "ip": "10.0.3.1", "pool": "other",     # not configured
                   "total": {"cpus": 64, "mem": 1, "disk": 1, "gpus": 0},
                   "used": {"cpus": 64, "mem": 1, "disk": 1, "gpus": 0}})
    # the pool's fleet (c5.xlarge, weight 4): up, up, then down
    steps.append({"agents": agents, "fleet_target": [8, 16, 24, 12][i * 4 // n]})
P = lambda ty, az, dt, p: {"type": ty, "az": az, "t": t0 + dt, "price": p}
prices = [P("c5.xlarge", "us-west-2a", -5000, "0.050000"),
          P("c5.xlarge", "us-west-2a", -100, "0.060000"),   # in force at T0
          P("c5.xlarge", "us-west-2a", 10, "0.070000"),     # slot T0+60, replaced by
          P("c5.xlarge", "us-west-2a", 50, "0.080000"),     # the newest of the slot
          P("c5.xlarge", "us-west-2a", 600, "0.090000"),    # on a slot
          P("c5.xlarge", "us-west-2a", 1234, "0.100000"),
          P("c5.xlarge", "us-west-2a", 1250, "0.110000"),
          P("c5.xlarge", "us-west-2a", 3550, "0.200000"),   # after the last cycle
          P("m5.large", "us-west-2b", -10, "0.030000"),
          P("m5.large", "us-west-2b", 1800, "0.040000")]
fleet = {"type": "c5.xlarge", "weight": 4, "az": "us-west-2a", "tag_key": "clusterman_pool",
         "tag_value": json.dumps({"pool": "batch", "paasta_cluster": "test"})}
json.dump({"pools": 2, "steps": steps, "prices": prices, "fleet": fleet},
          open(work + "/script.json", "w"))

# expected per cycle of pool batch: time, allocated cpus, allocated mem,
# target and fulfilled capacity (the fleet's weight, 4 per c5.xlarge), and
# the joined cpus of the replay (cpus_per_weight 1: one instance per 4
# units, 4 vCPUs each)
with open(work + "/expected.txt", "w") as f:
    for i in range(n):
        a = [x for x in steps[i]["agents"] if x["pool"] == "batch"]
        w = steps[i]["fleet_target"]
        f.write("%d %d %d %d %d %d\n" % (t0 + step * i, sum(x["used"]["cpus"] for x in a),
                                        sum(x["used"]["mem"] for x in a), w, w, w // 4 * 4))

# the fleet's cost per second at the prices Clusterman's slots give: the
# price in force at T0, then at each minute boundary s up to the last cycle
# the newest price of (s-60, s]; the instances of cycle i run until the
# next cycle
ps = sorted((p["t"], float(p["price"])) for p in prices
            if (p["type"], p["az"]) == ("c5.xlarge", "us-west-2a"))
series = [(t0, [v for t, v in ps if t <= t0][-1])]
for slot in range(t0 + 60, t0 + step * (n - 1) + 1, 60):
    inside = [v for t, v in ps if slot - 60 < t <= slot]
    if inside:
        series.append((slot, inside[-1]))
cost = 0.0
for m in range(60):                      # minute by minute: both change on minutes
    t = t0 + 60 * m
    price = [v for s, v in series if s <= t][-1]
    cost += (steps[60 * m // step]["fleet_target"] // 4) * price * 60 / 3600
open(work + "/expected_cost", "w").write("%.10f\n" % cost)
EOF
EXPECTED_COST=$(cat "$WORK/expected_cost")

# ---- the fake cluster and the configuration ------------------------------
start_fake() {  # start_fake [UPSTREAM]
	rm -f "$WORK/fake.port"
	python3 "$CMAN_SRC/tests/e2e/lib/fake_cluster.py" "$WORK/script.json" "$WORK/fake.port" "$@" \
		> "$WORK/fake.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 1 300); do [ -f "$WORK/fake.port" ] && break; sleep 0.1; done
	[ -f "$WORK/fake.port" ] || { cat "$WORK/fake.log"; fail "the fake cluster did not start"; finish; exit 1; }
	FAKE="http://127.0.0.1:$(cat "$WORK/fake.port")"
}
write_config() {  # write_config DIR STORE_YAML
	mkdir -p "$1/clusters/test"
	cat > "$1/clusterman.yaml" <<EOF
aws: {endpoint_url: '$FAKE'}
clusters:
  test: {aws_region: us-west-2, mesos_master_fqdn: '$FAKE'}
batches:
  spot_prices: {run_interval_seconds: $STEP, dedupe_interval_seconds: 60}
  cluster_metrics: {run_interval_seconds: $STEP}
metrics: $2
EOF
	for p in batch web; do
		cat > "$1/clusters/test/$p.mesos" <<'EOF'
resource_groups: [{sfr: {tag: clusterman_pool}}]
scaling_limits: {min_capacity: 0, max_capacity: 100, max_weight_to_add: 10,
                 max_weight_to_remove: 10, max_tasks_to_kill: 10}
EOF
	done
}
export AWS_ACCESS_KEY_ID=AKIDE2E AWS_SECRET_ACCESS_KEY=e2e-collect AWS_REGION=us-west-2
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_EC2 AWS_ENDPOINT_URL_DYNAMODB

replay() {  # replay NAME STORE_SOURCE_YAML: run the scenario, check the run
	local name=$1
	cat > "$WORK/$name.yaml" <<EOF
name: collect-$name
cluster: test
pool: batch
scheduler: mesos
start_time: $T0
end_time: $((T0 + 3600))
seed: 1
metrics:
  - $2
simulation:
  billing: per-second
  cpus_per_weight: 1
  join_delay: {mean_seconds: 0, stdev_seconds: 0}
  step_seconds: 60
output:
  reports: []
EOF
	if ! "$CMAN_SIM" run "$WORK/$name.yaml" -q -o "$WORK/run-$name" 2> "$WORK/$name.run.err"; then
		cat "$WORK/$name.run.err" >&2
		fail "$name: clusterman-sim run of the collected store failed"
		return
	fi
	# every minute: the replay's allocated cpus and mem, target, fulfilled
	# capacity and joined cpus are the fake cluster's
	check "$name: allocations, target, fulfilled and cpus at every minute are the fake cluster's" \
		awk -F, -v expf="$WORK/expected.txt" '
			BEGIN { while ((getline l < expf) > 0) { n++; split(l, f, " "); for (k = 2; k <= 6; k++) e[f[1], k] = f[k]; ok[f[1]] = 1 } }
			NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
			($(col["time"]) in ok) {
				t = $(col["time"])
				got = $(col["cpus_allocated"]) + 0 " " $(col["mem_allocated"]) + 0 " " \
				      $(col["target_capacity"]) + 0 " " $(col["fulfilled_capacity"]) + 0 " " $(col["cpus"]) + 0
				want = e[t, 2] " " e[t, 3] " " e[t, 4] " " e[t, 5] " " e[t, 6]
				if (got != want) { print "at " t ": " got ", expected " want > "/dev/stderr"; bad = 1 }
				seen++ }
			END { if (seen != n) print "rows matched: " seen " of " n > "/dev/stderr"; exit bad || seen != n }
		' "$WORK/run-$name/timeseries.csv"
	local cost
	cost=$(json_get "$WORK/run-$name/summary.json" total_cost)
	check "$name: the replay's cost ($cost) is the collected prices' ($EXPECTED_COST)" \
		near "$cost" "$EXPECTED_COST" 1e-9
}

collect() {  # collect NAME: 60 cycles into the configuration $WORK/NAME
	local name=$1 status=0
	curl -sf "$FAKE/control/reset" > /dev/null
	CMAN_COLLECT_CLOCK="$T0,$STEP" "$L" --config "$WORK/$name/clusterman.yaml" collect --cluster test \
		--cycles "$CYCLES" > "$WORK/$name.out" 2> "$WORK/$name.err" || status=$?
	[ "$status" -eq 0 ] || cat "$WORK/$name.err" >&2
	check "$name: collect exits 0" test "$status" -eq 0
	check "$name: one line per cycle" test "$(wc -l < "$WORK/$name.out")" -eq "$CYCLES"
	# batch: 8 resources, target, fulfilled, non-orphan; web (no group): 8 + 2
	check "$name: 2 pools, 21 metric samples every cycle" \
		test "$(grep -c ': 2 of 2 pools, 21 metric samples' "$WORK/$name.out")" -eq "$CYCLES"
	# prices: 3 markets in force at T0 (r5 absent: not in the script), then
	# the minutes with a change
	check "$name: the first cycle writes the 2 prices in force" \
		grep -q "^2026-01-05T00:00:00Z .*, 2 spot prices (2026-01-05T00:00:00Z..2026-01-05T00:00:00Z)" \
		"$WORK/$name.out"
	check "$name: one Mesos read per pool and cycle, in order" \
		test "$(curl -sf "$FAKE/control/log" | awk '{ if ($1 != int((NR - 1) / 2)) bad = 1 } END { print NR, bad + 0 }')" = "$((2 * CYCLES)) 0"
}

port=$(free_port)
moto_server -H 127.0.0.1 -p "$port" > "$WORK/moto.log" 2>&1 &
PIDS+=($!)
moto_pid=$!
MOTO="http://127.0.0.1:$port"
start_fake "$MOTO"      # while moto starts: the fake calls it only from /control/reset
wait_port "$port" "$moto_pid" || { cat "$WORK/moto.log"; fail "moto_server did not start"; finish; exit 1; }
write_config "$WORK/sqlite" "{sqlite: $WORK/metrics.sqlite}"
collect sqlite
replay sqlite "sqlite: $WORK/metrics.sqlite"
# a restart over the same store and minute writes no price twice
CMAN_COLLECT_CLOCK="$((T0 + STEP * (CYCLES - 1)))" "$L" --config "$WORK/sqlite/clusterman.yaml" collect --cluster test \
	--once > "$WORK/again.out" 2>&1 || true
check "a restart writes no price already in force" grep -q ", 0 spot prices" "$WORK/again.out"

write_config "$WORK/dynamodb" "{dynamodb: {table_prefix: collect_}}"
export AWS_ENDPOINT_URL_DYNAMODB=$MOTO
collect dynamodb
export AWS_ENDPOINT_URL=$MOTO
replay dynamodb "dynamodb: {table_prefix: collect_}"
unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_DYNAMODB
check "SQLite and DynamoDB replays are the same" \
	cmp "$WORK/run-sqlite/timeseries.csv" "$WORK/run-dynamodb/timeseries.csv"
finish
