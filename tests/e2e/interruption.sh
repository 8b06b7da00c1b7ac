#!/usr/bin/env bash
# A price spike interrupts a market and the fleet refills elsewhere.
source "$(dirname "$0")/lib/common.bash"

"$CMAN_SIM" run "$DATA/interrupt.yaml" -q -o "$WORK/r"
I="$WORK/r/instances.csv"
T0=1512086400
py() { python3 - "$I" "$T0" "$@"; }

check "five instances per market at the start" py <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]))); t0 = int(sys.argv[2])
start = [r for r in rows if int(r["start_time"]) == t0]
a = sum(r["availability_zone"] == "us-west-2a" for r in start)
b = sum(r["availability_zone"] == "us-west-2b" for r in start)
sys.exit(0 if (a, b) == (5, 5) else 1)
PY
check "us-west-2b instances end two minutes after the spike" py <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]))); t0 = int(sys.argv[2])
b = [r for r in rows if r["availability_zone"] == "us-west-2b" and int(r["start_time"]) == t0]
sys.exit(0 if b and all(int(r["end_time"]) == t0 + 3600 + 120 for r in b) else 1)
PY
check "the fleet refills in us-west-2a at the interruption" py <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]))); t0 = int(sys.argv[2])
new = [r for r in rows if int(r["start_time"]) == t0 + 3720]
sys.exit(0 if len(new) == 5 and all(r["availability_zone"] == "us-west-2a" for r in new) else 1)
PY
check "interrupted instances carry their bid" py <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
sys.exit(0 if all(abs(float(r["bid_price"]) - 0.2) < 1e-12 and r["spot"] == "true" and r["group"] == "fleet" for r in rows) else 1)
PY
# outbid refund, per-hour: the interrupted instances' partial second hour is free
check "refunded partial hour" py <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]))); t0 = int(sys.argv[2])
b = [r for r in rows if r["availability_zone"] == "us-west-2b" and int(r["start_time"]) == t0]
sys.exit(0 if all(abs(float(r["cost"]) - 0.03) < 1e-9 for r in b) else 1)
PY
check "summary counts the interruptions" test "$(json_get "$WORK/r/summary.json" instances_interrupted)" = 5
check "decisions written" test "$(wc -l < "$WORK/r/decisions.jsonl")" -eq 18
check "groups.csv written" test "$(head -1 "$WORK/r/groups.csv")" = "time,group,target_capacity,fulfilled_capacity"

# with interruptions off, nothing is interrupted
"$CMAN_SIM" run "$DATA/interrupt.yaml" -q -o "$WORK/off" --set simulation.spot_interruptions=false
check "no interruptions when switched off" test "$(json_get "$WORK/off/summary.json" instances_interrupted)" = 0
finish
