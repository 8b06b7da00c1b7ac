#!/usr/bin/env bash
# A price spike interrupts a market and the fleet refills elsewhere.
source "$(dirname "$0")/lib/common.bash"

"$CMAN_SIM" run "$DATA/interrupt.yaml" -q -o "$WORK/r"
I="$WORK/r/instances.csv"
T0=1512086400
# the instance checks in one Python run (one start-up): one line each,
# "1" when it holds
python3 - "$I" "$T0" > "$WORK/checks" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]))); t0 = int(sys.argv[2])
start = [r for r in rows if int(r["start_time"]) == t0]
b = [r for r in start if r["availability_zone"] == "us-west-2b"]
new = [r for r in rows if int(r["start_time"]) == t0 + 3720]
checks = [
    # five instances per market at the start
    (sum(r["availability_zone"] == "us-west-2a" for r in start), len(b)) == (5, 5),
    # us-west-2b instances end two minutes after the spike
    bool(b) and all(int(r["end_time"]) == t0 + 3600 + 120 for r in b),
    # the fleet refills in us-west-2a at the interruption
    len(new) == 5 and all(r["availability_zone"] == "us-west-2a" for r in new),
    # interrupted instances carry their bid
    all(abs(float(r["bid_price"]) - 0.2) < 1e-12 and r["spot"] == "true" and r["group"] == "fleet" for r in rows),
    # outbid refund, per-hour: the interrupted instances' partial second hour is free
    all(abs(float(r["cost"]) - 0.03) < 1e-9 for r in b),
]
print("\n".join("1" if c else "0" for c in checks))
PY
holds() { test "$(sed -n "$1p" "$WORK/checks")" = 1; }
check "five instances per market at the start" holds 1
check "us-west-2b instances end two minutes after the spike" holds 2
check "the fleet refills in us-west-2a at the interruption" holds 3
check "interrupted instances carry their bid" holds 4
check "refunded partial hour" holds 5
check "summary counts the interruptions" test "$(json_get "$WORK/r/summary.json" instances_interrupted)" = 5
check "decisions written" test "$(wc -l < "$WORK/r/decisions.jsonl")" -eq 18
check "groups.csv written" test "$(head -1 "$WORK/r/groups.csv")" = "time,group,target_capacity,fulfilled_capacity"

# with interruptions off, nothing is interrupted
"$CMAN_SIM" run "$DATA/interrupt.yaml" -q -o "$WORK/off" --set simulation.spot_interruptions=false
check "no interruptions when switched off" test "$(json_get "$WORK/off/summary.json" instances_interrupted)" = 0
finish
