#!/usr/bin/env bash
# Issue 8.3: every resource, not CPUs only.  A memory-bound pool
# (tests/data/memory_bound.yaml): the CPUs look idle while memory runs out.
# The new timeseries.csv columns and summary.json keys are checked against a
# per-second reference computed here from the scenario's own CSV and the
# catalog's m5.large row (not from the program's output).
source "$(dirname "$0")/lib/common.bash"

"$CMAN_SIM" run "$DATA/memory_bound.yaml" -q -o "$WORK/mb"

cat > "$WORK/ref.py" <<'PY'
import csv, json, math, sys, calendar, time

data, catalog, run = sys.argv[1], sys.argv[2], sys.argv[3]
T0 = calendar.timegm(time.strptime("2017-12-01T00:00:00Z", "%Y-%m-%dT%H:%M:%SZ"))
SPAN, STEP, EBS_MIB = 7200, 600, 100 * 1024
RES = ["cpus", "mem", "disk", "gpus"]

def ts(s):
    return calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ")) - T0

cap, alloc, price = [], {r: [] for r in RES}, None
for row in csv.DictReader(open(data)):
    name = row["key"].split("|")[0]
    if name == "fulfilled_capacity":
        cap.append((ts(row["timestamp"]), float(row["value"])))
    elif name == "spot_prices":
        price = float(row["value"])
    else:
        alloc[name[:-len("_allocated")]].append((ts(row["timestamp"]), float(row["value"])))
for row in csv.DictReader(open(catalog)):
    if row["instance_type"] == "m5.large":
        per = {"cpus": float(row["vcpu"]), "mem": float(row["memory_gib"]) * 1024,
               "disk": float(row["local_disk_gb"]) * 1024 if row["local_disk_gb"] else EBS_MIB,
               "gpus": float(row["gpus"])}

def at(series, s):  # the latest sample at or before s
    v = 0.0
    for t, x in series:
        if t <= s:
            v = x
    return v

# per second: instances = capacity / weight (weight = vCPUs), the rate, the state
secs = []
for s in range(SPAN):
    n = math.floor(at(cap, s) / per["cpus"])
    st = {"rate": n * price}
    for r in RES:
        st[r] = n * per[r]                    # joined = running (no join delay)
        st[r + "_alloc"] = at(alloc[r], s)
    u = {r: (st[r + "_alloc"] / st[r] if st[r] > 0 else math.inf) if st[r + "_alloc"] > 0
         else None for r in RES}
    best = "none"
    for r in RES:
        if u[r] is not None and (best == "none" or u[r] > u[best]):
            best = r
    st["binding"] = best
    secs.append(st)

def unused(st, r):
    return max(0.0, st[r] - st[r + "_alloc"])

def over(st, r):
    return max(0.0, st[r + "_alloc"] - st[r])

rows = list(csv.DictReader(open(run + "/timeseries.csv")))
fails = 0
def check(what, got, want):
    global fails
    if want is None:
        ok = got == ""
    else:
        ok = got != "" and abs(float(got) - want) <= 1e-9 * max(1.0, abs(want))
    if not ok:
        print("FAIL: %s: got %r, want %r" % (what, got, want))
        fails += 1

if len(rows) != SPAN // STEP:
    print("FAIL: %d rows" % len(rows)); sys.exit(1)
for i, row in enumerate(rows):
    a = secs[i * STEP]
    for r in ["mem", "disk", "gpus"]:
        check("row %d %s" % (i, r), row[r], a[r])
        check("row %d %s_allocated" % (i, r), row[r + "_allocated"], a[r + "_alloc"])
        check("row %d unused_%s" % (i, r), row["unused_" + r], unused(a, r))
        check("row %d oversubscribed_%s" % (i, r), row["oversubscribed_" + r], over(a, r))
        want = sum(st["rate"] * (unused(st, r) / st[r] if st[r] > 0 else 0) / 3600
                   for st in secs[i * STEP:(i + 1) * STEP])
        check("row %d unused_%s_cost" % (i, r), row["unused_%s_cost" % r], want)
    if row["binding_resource"] != a["binding"]:
        print("FAIL: row %d binding_resource %r, want %r" % (i, row["binding_resource"], a["binding"]))
        fails += 1

summ = json.load(open(run + "/summary.json"))
total = sum(st["rate"] for st in secs) / 3600
flat = {"mem": "mem", "disk": "disk", "gpus": "gpu"}
for r in ["mem", "disk", "gpus"]:
    uc = sum(st["rate"] * (unused(st, r) / st[r] if st[r] > 0 else 0) for st in secs) / 3600
    oh = sum(over(st, r) for st in secs) / 3600
    check("mean_" + r, str(summ["mean_" + r]), sum(st[r] for st in secs) / SPAN)
    check("mean_%s_allocated" % r, str(summ["mean_%s_allocated" % r]),
          sum(st[r + "_alloc"] for st in secs) / SPAN)
    check("unused_%s_cost" % r, str(summ["unused_%s_cost" % r]), uc)
    check("unused_%s_cost_share" % r, str(summ["unused_%s_cost_share" % r]), uc / total)
    check("oversubscribed_%s_hours" % flat[r], str(summ["oversubscribed_%s_hours" % flat[r]]), oh)
    res = summ["resources"][r]
    check("resources.%s.oversubscribed_share" % r, str(res["oversubscribed_share"]),
          oh * 3600 / sum(st[r + "_alloc"] for st in secs) if oh else 0.0)
for b in RES + ["none"]:
    check("binding_resource_share." + b, str(summ["binding_resource_share"][b]),
          sum(1 for st in secs if st["binding"] == b) / SPAN)

# by hand: memory 24 of 32 GiB used for 55 min, then 24 of 16 GiB for 65 min;
# the GPU asked for from 01:35 is never there
check("oversubscribed_mem_hours by hand", str(summ["oversubscribed_mem_hours"]), 8192 * 65 / 60)
check("unused_mem_cost: a quarter of 55 min at $0.40/h", str(summ["unused_mem_cost"]),
      0.25 * 0.4 * 55 / 60)
check("memory binding 95 of 120 min", str(summ["binding_resource_share"]["mem"]), 95 / 120)
check("gpus binding 25 of 120 min", str(summ["binding_resource_share"]["gpus"]), 25 / 120)
check("cpus never binding", str(summ["binding_resource_share"]["cpus"]), 0.0)
check("memory's oversubscribed share", str(summ["resources"]["mem"]["oversubscribed_share"]),
      8192 * 65 / (24576 * 120))
check("shortfall: all of the GPU demand unmet", str(summ["shortfall_share"]), 1.0)
head = open(run + "/timeseries.csv").readline().strip().split(",")
if head[:10] != ("time,cpus,cpus_allocated,unused_cpus,cost,unused_cpus_cost,cost_per_cpu,"
                 "oversubscribed,target_capacity,fulfilled_capacity").split(","):
    print("FAIL: the INTERFACE columns are not the header's prefix: %r" % head[:10])
    fails += 1

# a CPU-only pool: the other resources' cells are empty, their keys null,
# and CPUs bind all the time
cpu = sys.argv[4]
for row in csv.DictReader(open(cpu + "/timeseries.csv")):
    for r in ["mem", "disk", "gpus"]:
        for c in [r, r + "_allocated", "unused_" + r, "unused_%s_cost" % r, "oversubscribed_" + r]:
            if row[c] != "":
                print("FAIL: CPU-only run: %s = %r" % (c, row[c])); fails += 1
    if row["binding_resource"] != "cpus":
        print("FAIL: CPU-only run: binding %r" % row["binding_resource"]); fails += 1
cs = json.load(open(cpu + "/summary.json"))
for k in ["unused_mem_cost", "oversubscribed_gpu_hours", "mean_disk"]:
    if cs[k] is not None:
        print("FAIL: CPU-only run: %s = %r" % (k, cs[k])); fails += 1
check("CPU-only: cpus binding", str(cs["binding_resource_share"]["cpus"]), 1.0)
if cs["resources_with_data"] != ["cpus"]:
    print("FAIL: resources_with_data %r" % cs["resources_with_data"]); fails += 1
print("reference: %d failures" % fails)
sys.exit(1 if fails else 0)
PY
"$CMAN_SIM" run "$DATA/memory_bound.yaml" -q -o "$WORK/mb"
"$CMAN_SIM" run "$DATA/worked_example.yaml" -q -o "$WORK/cpu"
check "new columns and keys match the per-second reference and the hand numbers" \
	python3 "$WORK/ref.py" "$DATA/memory_bound.csv" "$CMAN_SRC/common/data/ec2_instance_types.csv" \
	"$WORK/mb" "$WORK/cpu"
finish
