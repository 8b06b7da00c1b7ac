#!/usr/bin/env bash
# Issue 8.8 (refund rule): an outbid spot instance (bid not above the market
# price when it ended) gets its last partial period free however it ended:
# pruned by the autoscaler or still running at the end of the run, not only
# when interrupted by the simulated EC2 (tests/e2e/interruption.sh).
# Expected numbers by hand from tests/data/refund.{yaml,csv}.
source "$(dirname "$0")/lib/common.bash"

T0=1512086400
# per instance: hour 1 at the price at 00:00, hour 2 at the price at 01:00;
# the 5 pruned at 01:10 end inside hour 2, the 5 others inside the partial
# third period (02:00-02:15, counted up to the end: 900 s).
cost() {  # cost P0 P1 REFUND(0/1) OUTBID(0/1)
	python3 -c '
import sys
p0, p1, refund, outbid = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
free = refund and outbid
pruned = p0 + (0 if free else p1)
to_end = p0 + p1 + (0 if free else p1 * 900 / 3600)
print(5 * pruned + 5 * to_end)' "$@"
}

"$CMAN_SIM" run "$DATA/refund.yaml" -q -o "$WORK/r"
check "5 pruned at 01:10, 5 to the end" python3 - "$WORK/r/instances.csv" "$T0" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]))); t0 = int(sys.argv[2])
ends = sorted(int(r["end_time"]) - t0 for r in rows)
sys.exit(0 if ends == [4200] * 5 + [8100] * 5 else 1)
PY
want=$(cost 0.03 0.5 1 1)   # 2.80
check "outbid, refunds on: total $want" near "$(json_get "$WORK/r/summary.json" total_cost)" "$want" 1e-9
check "outbid, pruned: 0.03 each (hour 2 free)" python3 - "$WORK/r/instances.csv" "$T0" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]))); t0 = int(sys.argv[2])
c = {(int(r["end_time"]) - t0, round(float(r["cost"]), 9)) for r in rows}
sys.exit(0 if c == {(4200, 0.03), (8100, 0.53)} else 1)
PY

"$CMAN_SIM" run "$DATA/refund.yaml" -q -o "$WORK/off" --set simulation.refund_outbid=false
want=$(cost 0.03 0.5 0 1)   # 5.925
check "refunds off: total $want" near "$(json_get "$WORK/off/summary.json" total_cost)" "$want" 1e-9

# discount 0.3: the price at 00:30 becomes 0.15, under the bid: not outbid
"$CMAN_SIM" run "$DATA/refund.yaml" -q -o "$WORK/under" --set simulation.discount=0.3
want=$(cost 0.009 0.15 1 0)   # 1.7775
check "not outbid: partial periods charged, total $want" near "$(json_get "$WORK/under/summary.json" total_cost)" "$want" 1e-9
finish
