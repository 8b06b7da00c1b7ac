#!/usr/bin/env bash
# Issue 8.6: sweep replicas that draw whole price and load paths.  With a
# `generate:` metrics source, replica r of every point runs on the paths the
# generator draws with seed (scenario seed + r): the replicas differ (the
# confidence interval has a width), every grid point of one replica sees
# the same paths (common random numbers: at discount 0.5 a replica costs
# exactly half its cost at discount 1), and each replica's cost is the
# replay cost of `clusterman-sim generate --seed S` recomputed here.  A
# sweep whose replicas vary nothing says "one path" instead of an interval.
source "$(dirname "$0")/lib/common.bash"
S="$DATA/paths.yaml"

"$CMAN_SIM" sweep "$S" --grid simulation.discount=0.5,1 --replicas 4 -j 2 -q -o "$WORK/sw"
check "sweep ran" test -s "$WORK/sw/sweep.csv"
for r in 0 1 2 3; do
	"$CMAN_SIM" generate "$DATA/paths-gen.yaml" --seed $((3 + r)) --csv "$WORK/gen$r.csv" > /dev/null
done

check "replicas: own paths, the same at every point" python3 - "$WORK" <<'PY'
import csv, json, sys
w = sys.argv[1]
ok = True
def want(cond, what):
    global ok
    if not cond:
        print("FAIL:", what)
        ok = False

def replay_cost(path, t0=1456790400, t1=1456963200, weight=40):
    """Per-second replay without join delays: instances = floor(capacity /
    weight), each paying the spot price in force; cost = integral of
    instances x price."""
    ev = []
    for r in csv.DictReader(open(path)):
        t = int(r["timestamp"])
        if r["key"].startswith("fulfilled_capacity"):
            ev.append((t, 0, float(r["value"])))
        elif r["key"].startswith("spot_prices"):
            ev.append((t, 1, float(r["value"])))
    ev.sort()
    n, p, last, cost = 0, None, t0, 0.0
    for t, kind, v in ev + [(t1, 2, 0)]:
        t = max(t, t0)
        if t > last and p is not None:
            cost += n * p * (min(t, t1) - last) / 3600
        last = max(last, t)
        if kind == 0:
            n = int(v // weight)
        elif kind == 1:
            p = v
    return cost

runs = {}
lines = open(w + "/sw/sweep.journal.jsonl").read().splitlines()
for line in lines[1:]:
    rec = json.loads(line)
    runs[(tuple(rec["sets"]), rec["seed"])] = rec["total_cost"]
want(len(runs) == 8, "8 runs journaled: %d" % len(runs))
ref = [replay_cost("%s/gen%d.csv" % (w, r)) for r in range(4)]
print("reference replica costs", ref)
for r in range(4):
    full = runs[(("simulation.discount=1",), 3 + r)]
    half = runs[(("simulation.discount=0.5",), 3 + r)]
    want(abs(full - ref[r]) <= 1e-6 * ref[r], "replica %d cost %r, reference %r" % (r, full, ref[r]))
    want(abs(half - full / 2) <= 1e-9 * full, "replica %d: same paths at both points" % r)
want(len(set(round(c, 6) for c in ref)) == 4, "four different paths")
rows = list(csv.DictReader(open(w + "/sw/sweep.csv")))
for row in rows:
    want(float(row["cost_ci95_low"]) < float(row["cost_ci95_high"]), "cost interval has a width")
sys.exit(0 if ok else 1)
PY
check "sweep.html shows intervals" grep -q "&ndash;" "$WORK/sw/sweep.html"

# the shipped example: fitted price models of the six real 2016 markets
"$CMAN_SIM" sweep "$CMAN_SRC/scenarios/real-spot-2016-paths.yaml" --replicas 3 -j 2 -q -o "$WORK/rsp"
check "real-spot-2016-paths: an interval with a width" python3 -c '
import csv, sys
r = list(csv.DictReader(open(sys.argv[1])))[0]
sys.exit(0 if float(r["cost_ci95_low"]) < float(r["cost_ci95_high"]) else 1)' "$WORK/rsp/sweep.csv"

# recorded metrics only: the replicas vary nothing but join delays
"$CMAN_SIM" sweep "$DATA/worked_example.yaml" --replicas 3 -j 1 -q -o "$WORK/one"
check "zero-width interval: one path" grep -q '<td class="one">one path</td>' "$WORK/one/sweep.html"
check "no interval of one value" bash -c "! grep -q '3.50 &ndash; 3.50' '$WORK/one/sweep.html'"
"$CMAN_SIM" sweep "$DATA/worked_example.yaml" --replicas 1 -j 1 -q -o "$WORK/run1"
check "one replica: one run" grep -q '<td class="one">one run</td>' "$WORK/run1/sweep.html"

# a generate source that does not exist: exit 2 naming it
set +e
"$CMAN_SIM" run "$S" -q -o "$WORK/bad" --set 'metrics=[{generate: nowhere.yaml}]' 2> "$WORK/err"; rc=$?
set -e
check "missing spec: fails" test "$rc" -ne 0
check "missing spec: named" grep -q "nowhere.yaml" "$WORK/err"
finish
