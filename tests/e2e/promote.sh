#!/usr/bin/env bash
# clusterman-sim promote: a validated run's pool configuration becomes a
# live pool file (Clusterman's shape, discovery by tag, the run recorded)
# that clusterman-live check-config accepts; the diff against the file it
# replaces is printed; runs with warnings or files that fail their manifest
# are refused unless --force; nothing half-written.
source "$(dirname "$0")/lib/common.bash"
: "${CMAN_LIVE:?}"
S=$CMAN_SIM
L=$CMAN_LIVE
SC="$CMAN_SRC/scenarios/autoscaler.yaml"
C="$WORK/etc"
mkdir -p "$C"
cat > "$C/clusterman.yaml" <<'YAML'
clusters:
  example: {aws_region: us-east-1, mesos_master_fqdn: 'http://127.0.0.1:5050'}
autoscaling: {default_signal_role: clusterman, setpoint: 0.7, target_capacity_margin: 0.1}
YAML
day="--set end_time=2016-03-02T00:00:00Z"

# --- quickstart (a replay run) has nothing to promote ----------------------
"$S" run "$CMAN_SRC/scenarios/quickstart.yaml" -q -o "$WORK/quick" $day
set +e; "$S" promote "$WORK/quick" --to "$C/clusters" 2> "$WORK/err"; rc=$?; set -e
check "replay run: exit 2" test "$rc" = 2
check "replay run: says why" grep -q "a replay run .* has no autoscaler configuration to promote" "$WORK/err"
check "replay run: nothing written" test ! -e "$C/clusters"

# --- the autoscaler run: promote, then check-config -------------------------
"$S" run "$SC" -q -o "$WORK/runA" $day
"$S" promote "$WORK/runA" --to "$C/clusters" --cluster example --tag clusterman_pool > "$WORK/out.txt"
P="$C/clusters/example/batch.mesos"
check "pool file written at <cluster>/<pool>.<scheduler>" test -s "$P"
check "diff against nothing" grep -qx -- "--- /dev/null" "$WORK/out.txt"
check "diff names the new file" grep -qx -- "+++ $P" "$WORK/out.txt"
check "diff shows the limits" grep -qx -- "+  max_weight_to_add: 800" "$WORK/out.txt"
check "no temporary left" test "$(ls -A "$C/clusters/example")" = "batch.mesos"
out=$("$L" check-config "$C")
check "check-config accepts it" test "$out" = "$C/clusterman.yaml: 1 cluster, 1 pool file: ok"
"$L" info --config "$C/clusterman.yaml" --json > "$WORK/info.json"

# the values, against the scenario file (read here, not from the program)
sget() { awk -v k="$1" '$1 == k":" { print $2; exit }' "$SC"; }
for k in min_capacity max_capacity max_weight_to_add max_weight_to_remove max_tasks_to_kill \
	 min_node_scalein_uptime_seconds setpoint target_capacity_margin period_minutes; do
	v=$(sget "$k")
	check "$k is the scenario's ($v)" grep -qx "  *$k: $v" "$P"
done
check "discovery by the tag" test "$(sed -n '/^resource_groups:$/,/^[a-z]/p' "$P")" = "$(printf 'resource_groups:\n  - sfr:\n      tag: clusterman_pool\n  - asg:\n      tag: clusterman_pool\nscaling_limits:')"
check "built-in signal is internal" grep -qx "  internal: true" "$P"
python3 - "$WORK/info.json" "$WORK/runA/summary.json" "$P" "$WORK/runA" <<'PY' && pass || fail "provenance and info"
import json, sys, os
info, summ, pf, rd = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), open(sys.argv[3]).read(), sys.argv[4]
p = info["clusters"][0]["pools"][0]
assert p["pool"] == "batch" and p["scheduler"] == "mesos", p
assert p["signal"] == {"name": "most_recent", "external": False, "period_minutes": 10}, p["signal"]
assert p["max_tasks_to_kill"] == 100 and p["setpoint"] == 0.7
assert [g["kind"] for g in p["resource_groups"]] == ["sfr", "asg"]
for k in ("run_id", "scenario_hash"):
    assert "    %s: %s\n" % (k, summ[k]) in pf, k
assert "    run_dir: %s\n" % os.path.realpath(rd) in pf
assert "    seed: %d\n" % summ["seed"] in pf
cost = [l for l in pf.splitlines() if l.startswith("    total_cost: ")][0].split(": ")[1]
assert float(cost) == summ["total_cost"], (cost, summ["total_cost"])
assert "    forced: false\n" in pf and "    warnings: 0\n" in pf
PY

# --- promote again: unchanged; a different run: the diff -------------------
out=$("$S" promote "$WORK/runA" --to "$C/clusters" --cluster example --tag clusterman_pool)
check "same run again: unchanged" test "$out" = "$P: unchanged"
"$S" run "$SC" -q -o "$WORK/runB" $day --set pool_config.autoscaling.setpoint=0.8
cp "$P" "$WORK/before.mesos"
"$S" promote "$WORK/runB" --to "$C/clusters" --cluster example --tag clusterman_pool > "$WORK/out.txt"
check "diff: old file named" grep -qx -- "--- $P" "$WORK/out.txt"
check "diff: old setpoint" grep -qx -- "-  setpoint: 0.7" "$WORK/out.txt"
check "diff: new setpoint" grep -qx -- "+  setpoint: 0.8" "$WORK/out.txt"
check "diff: run id" grep -qx -- "+    run_id: $(json_get "$WORK/runB/summary.json" run_id)" "$WORK/out.txt"
check "diff: unchanged limits not shown as changes" test "$(grep -c '^[-+]  max_capacity' "$WORK/out.txt" || true)" = 0
# the printed diff turns the old file into the new one
sed -n '/^--- /,$p' "$WORK/out.txt" | sed '/^promoted /d' > "$WORK/d.patch"
if command -v patch > /dev/null; then
	check "the diff applies" patch -s "$WORK/before.mesos" "$WORK/d.patch"
	check "the diff gives the new file" cmp "$WORK/before.mesos" "$P"
fi
check "check-config accepts the new file" "$L" check-config "$C"

# --- doubtful runs are refused unless --force --------------------------------
# a window past the recorded data: coverage warnings
"$S" run "$SC" -q -o "$WORK/runW" --set start_time=2016-03-07T12:00:00Z \
	--set end_time=2016-03-09T00:00:00Z 2> /dev/null
check "the run has warnings" test "$(json_get "$WORK/runW/summary.json" warnings)" != "[]"
cp "$P" "$WORK/kept.mesos"
set +e; "$S" promote "$WORK/runW" --to "$C/clusters" --cluster example 2> "$WORK/err" > /dev/null; rc=$?; set -e
check "warnings: exit 2" test "$rc" = 2
check "warnings: listed" grep -q "warning: " "$WORK/err"
check "warnings: --force suggested" grep -q "promote it anyway with --force" "$WORK/err"
check "warnings: file kept" cmp "$P" "$WORK/kept.mesos"
# files that do not belong to the run (a failed manifest check)
cp -r "$WORK/runA" "$WORK/runT"
echo '{"time": 1}' >> "$WORK/runT/decisions.jsonl"
set +e; "$S" promote "$WORK/runT" --to "$C/clusters" --cluster example 2> "$WORK/err" > /dev/null; rc=$?; set -e
check "tampered run: exit 2" test "$rc" = 2
check "tampered run: the file named" grep -q "decisions.jsonl" "$WORK/err"
check "tampered run: file kept" cmp "$P" "$WORK/kept.mesos"
"$S" promote "$WORK/runW" --to "$C/clusters" --cluster example --force > /dev/null 2>&1
check "--force: written" grep -qx "    forced: true" "$P"
check "--force: warnings counted" grep -q "^    warnings: [1-9]" "$P"
check "--force: check-config accepts it" "$L" check-config "$C"

# --- usage -------------------------------------------------------------------
check "promote --help" "$S" promote --help
set +e
"$S" promote "$WORK/runA" 2> /dev/null; rc1=$?
"$S" promote --to "$C" 2> /dev/null; rc2=$?
"$S" promote "$WORK/nope" --to "$C/clusters" 2> /dev/null; rc3=$?
set -e
check "missing --to: exit 2" test "$rc1" = 2
check "missing RUN_DIR: exit 2" test "$rc2" = 2
check "not a run directory: exit 2" test "$rc3" = 2
finish
