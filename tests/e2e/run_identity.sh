#!/usr/bin/env bash
# Issue 8.5: a run directory says what the run was (scenario.yaml after
# --set, scenario_hash in summary.json and report.html), and compare shows
# the settings that differ and labels runs by them.  Issue 8.7: --set
# indexes into lists; output.dir is relative to the scenario file.
source "$(dirname "$0")/lib/common.bash"
A="$CMAN_SRC/scenarios/autoscaler.yaml"
SHORT=(--set end_time=2016-03-02T00:00:00Z)

# the README's three autoscaler runs, each into its own directory
"$CMAN_SIM" run "$A" -q "${SHORT[@]}" -o "$WORK/r1"
"$CMAN_SIM" run "$A" -q "${SHORT[@]}" -o "$WORK/r2" --set pool_config.autoscaling.setpoint=0.8
"$CMAN_SIM" run "$A" -q "${SHORT[@]}" -o "$WORK/r3" \
	--set 'resource_groups[0].spot_fleet.AllocationStrategy=lowestPrice'
"$CMAN_SIM" run "$A" -q "${SHORT[@]}" -o "$WORK/r1b"

# scenario.yaml is the effective scenario; its hash is recomputed here
check "scenario_hash is the FNV-1a 64 of scenario.yaml's body, and the settings are in it" \
	python3 - "$WORK" <<'PY'
import json, sys, yaml
w = sys.argv[1]
def fnv(b):
    h = 0xcbf29ce484222325
    for c in b:
        h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
    return h
ok = True
docs = {}
for r in ("r1", "r2", "r3", "r1b"):
    text = open("%s/%s/scenario.yaml" % (w, r), "rb").read()
    body = b"".join(l for l in text.splitlines(True) if not l.startswith(b"#"))
    s = json.load(open("%s/%s/summary.json" % (w, r)))
    ok &= s["scenario_hash"] == ("%016x" % fnv(body))[:12]
    docs[r] = yaml.safe_load(body)
    ok &= "output" not in docs[r] or "dir" not in docs[r]["output"]
ok &= str(docs["r1"]["end_time"]).startswith("2016-03-02")
ok &= docs["r2"]["pool_config"]["autoscaling"]["setpoint"] == 0.8
ok &= docs["r1"]["pool_config"]["autoscaling"]["setpoint"] == 0.7
rg = docs["r3"]["resource_groups"][0]["spot_fleet"]
ok &= rg["AllocationStrategy"] == "lowestPrice" and rg["SpotPrice"] == 0.025 and len(rg["LaunchSpecifications"]) == 3
ok &= docs["r3"]["resource_groups"][1] == docs["r1"]["resource_groups"][1]
h = {r: json.load(open("%s/%s/summary.json" % (w, r)))["scenario_hash"] for r in docs}
ok &= h["r1"] == h["r1b"] and len({h["r1"], h["r2"], h["r3"]}) == 3
sys.exit(0 if ok else 1)
PY
h1=$(json_get "$WORK/r1/summary.json" scenario_hash)
check "report.html shows the scenario hash" grep -q "$h1" "$WORK/r1/report.html"
check "report.html shows the run id" grep -q "$(json_get "$WORK/r1/summary.json" run_id)" "$WORK/r1/report.html"
check "same settings, another folder: same run id" \
	test "$(json_get "$WORK/r1/summary.json" run_id)" = "$(json_get "$WORK/r1b/summary.json" run_id)"
check "lowestPrice took effect: other launches" \
	test "$(json_get "$WORK/r3/summary.json" run_id)" != "$(json_get "$WORK/r1/summary.json" run_id)"

# compare: the table of differing settings and the labels
"$CMAN_SIM" compare "$WORK/r1" "$WORK/r2" "$WORK/r3" -o "$WORK/cmp" > "$WORK/cmp.out"
check "compare prints the differing settings" grep -q "^settings that differ:" "$WORK/cmp.out"
check "compare prints the setpoint row" \
	grep -Eq "^  pool_config\.autoscaling\.setpoint +0\.7 +0\.8 +0\.7 *$" "$WORK/cmp.out"
check "settings.csv: exactly the two changed settings" cmp "$WORK/cmp/settings.csv" - <<'CSV'
setting,"setpoint=0.7, AllocationStrategy=diversified","setpoint=0.8, AllocationStrategy=diversified","setpoint=0.7, AllocationStrategy=lowestPrice"
pool_config.autoscaling.setpoint,0.7,0.8,0.7
resource_groups[0].spot_fleet.AllocationStrategy,diversified,diversified,lowestPrice
CSV
check "series.csv labels the candidates by their settings" python3 - "$WORK/cmp/series.csv" <<'PY'
import csv, sys
runs = {r["run"] for r in csv.DictReader(open(sys.argv[1]))}
sys.exit(0 if runs == {"setpoint=0.8, AllocationStrategy=diversified",
                       "setpoint=0.7, AllocationStrategy=lowestPrice"} else 1)
PY
check "compare.html has the settings table" grep -q "Settings that differ" "$WORK/cmp/compare.html"
check "no series is labelled plain 'autoscaler'" test -z "$(cut -d, -f3 "$WORK/cmp/series.csv" | grep -x autoscaler)"
"$CMAN_SIM" compare "$WORK/r1" "$WORK/r1b" -o "$WORK/cmp2" > "$WORK/cmp2.out"
check "same settings: said so" grep -q "settings that differ: none" "$WORK/cmp2.out"

# --set into lists: errors name the override and the valid range
st=0
"$CMAN_SIM" run "$A" -q -o "$WORK/bad" --set 'resource_groups[2].spot_fleet.SpotPrice=1' 2> "$WORK/err" || st=$?
check "index past the end: exit 2 (got $st)" test "$st" -eq 2
check "index past the end: message" \
	grep -q "resource_groups\[2\]' is past the end of the list, expected an index from 0 to 1" "$WORK/err"
check "index past the end: nothing written" test ! -e "$WORK/bad"
st=0
"$CMAN_SIM" run "$A" -q -o "$WORK/bad" --set 'pool_config[0]=1' 2> "$WORK/err" || st=$?
check "index into a mapping: exit 2" test "$st" -eq 2
check "index into a mapping: message" grep -q "'pool_config' is a mapping, expected a list to index" "$WORK/err"
# --grid takes the same keys
"$CMAN_SIM" sweep "$A" -q "${SHORT[@]}" -o "$WORK/sw" \
	--grid 'resource_groups[0].spot_fleet.AllocationStrategy=diversified,lowestPrice'
check "grid over a list item: two points" test "$(wc -l < "$WORK/sw/sweep.csv")" -eq 3

# output.dir is relative to the scenario file's folder; the default and -o
# to the working directory
mkdir -p "$WORK/proj/scen" "$WORK/cwd"
cp "$DATA/worked_example.csv" "$WORK/proj/scen/"
cat > "$WORK/proj/scen/s.yaml" <<'Y'
name: rel
cluster: test
pool: default
start_time: 2017-12-01T00:00:00Z
end_time: 2017-12-01T02:00:00Z
metrics: [{csv: worked_example.csv}]
output: {dir: runs/rel}
Y
(cd "$WORK/cwd" && "$CMAN_SIM" run ../proj/scen/s.yaml -q)
check "output.dir: under the scenario's folder" test -f "$WORK/proj/scen/runs/rel/summary.json"
check "output.dir: not under the working directory" test ! -e "$WORK/cwd/runs"
(cd "$WORK/cwd" && "$CMAN_SIM" run ../proj/scen/s.yaml -q --set output.dir=other)
check "--set output.dir: also relative to the scenario" test -f "$WORK/proj/scen/other/summary.json"
(cd "$WORK/cwd" && "$CMAN_SIM" run ../proj/scen/s.yaml -q -o mine)
check "-o: relative to the working directory" test -f "$WORK/cwd/mine/summary.json"
sed -i '/^output:/d' "$WORK/proj/scen/s.yaml"
(cd "$WORK/cwd" && "$CMAN_SIM" run ../proj/scen/s.yaml -q)
check "default out/<name>: in the working directory" test -f "$WORK/cwd/out/rel/summary.json"
check "--help says where output.dir is relative to" \
	bash -c '"$0" run --help | grep -q "relative to the"' "$CMAN_SIM"
finish
