#!/usr/bin/env bash
# Issue 8.4: on-demand prices of the simulated era.  A 2016 run bills
# m4.10xlarge in us-east-1 at AWS's 2016 price, not the 2026 one; the price
# table can be chosen and single prices set by the scenario; summary.json and
# report.html say which table priced the run and compare the spot fleet with
# the same instance-hours on demand.  Expected numbers come from the
# reference below, which reads the catalog CSV and the price steps itself.
source "$(dirname "$0")/lib/common.bash"

# ref OD_PRICE: total cost, on-demand cost, savings, hours above on-demand,
# extra cost above on-demand of tests/data/od2016.yaml priced at OD_PRICE
ref() {
	python3 - "$1" <<'PY'
import sys
od = float(sys.argv[1])
# (from h, to h, $/h): on demand until the first spot price, then 3.0, 0.5
segs = [(0, 5, od), (5, 6.5, 3.0), (6.5, 10, 0.5)]
total = sum((b - a) * p for a, b, p in segs)
ondemand = 10 * od
above = extra = 0.0
for h in range(10):
    spot = sum(max(0, min(b, h + 1) - max(a, h)) * p for a, b, p in segs)
    if spot > od + 1e-12:
        above += 1
        extra += spot - od
print(total, ondemand, ondemand - total, above, extra)
PY
}
# the 2016 catalog price of m4.10xlarge in us-east-1, read from the CSV
od16=$(python3 -c 'import csv,sys
for r in csv.DictReader(open(sys.argv[1])):
    if (r["instance_type"], r["region"], r["source"]) == ("m4.10xlarge", "us-east-1", "2016-07"):
        print(r["usd_per_hour"])' "$CMAN_SRC/common/data/ec2_ondemand_prices.csv")
check "the catalog's 2016 price is AWS's 2016 list price" test "$od16" = 2.394

sub() {  # sub DIR KEY: a value of summary.json's spot_vs_on_demand / on_demand_prices
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1] + "/summary.json"))
v = d
for k in sys.argv[2].split("/"):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1" "$2"
}

# 1. by date: the 2016-07 table
"$CMAN_SIM" run "$DATA/od2016.yaml" -q -o "$WORK/auto"
read -r total ondemand savings above extra <<< "$(ref "$od16")"
check "2016 run: total at the 2016 price" near "$(json_get "$WORK/auto/summary.json" total_cost)" "$total" 1e-9
check "2016 run: table 2016-07" test "$(sub "$WORK/auto" on_demand_prices/table)" = 2016-07
check "2016 run: market priced from 2016-07" test \
	"$(sub "$WORK/auto" 'on_demand_prices/markets/<m4.10xlarge, us-east-1a>/source')" = 2016-07
check "on-demand cost of the spot hours" near "$(sub "$WORK/auto" spot_vs_on_demand/on_demand_cost)" "$ondemand" 1e-9
check "spot savings" near "$(sub "$WORK/auto" spot_vs_on_demand/savings)" "$savings" 1e-9
check "hours spot above on-demand" near "$(sub "$WORK/auto" spot_vs_on_demand/hours_spot_above_on_demand)" "$above" 1e-9
check "extra cost in those hours" near "$(sub "$WORK/auto" spot_vs_on_demand/extra_cost_above_on_demand)" "$extra" 1e-9
check "one period" test "$(sub "$WORK/auto" spot_vs_on_demand/periods_above_on_demand)" = 1
check "the period starts 05:00" test "$(sub "$WORK/auto" spot_vs_on_demand/periods/0/start)" = 1456808400
check "the period ends 06:00" test "$(sub "$WORK/auto" spot_vs_on_demand/periods/0/end)" = 1456812000
check "the period's extra cost" near "$(sub "$WORK/auto" spot_vs_on_demand/periods/0/extra_cost)" "$extra" 1e-9
check "report names the table" grep -q '<b>2016-07</b> price table' "$WORK/auto/report.html"
check "report has the comparison" grep -q 'Spot against on-demand' "$WORK/auto/report.html"

# 2. the table by name: the 2026 list price ($2.00)
"$CMAN_SIM" run "$DATA/od2016.yaml" -q -o "$WORK/t26" --set prices.table=2026-07
read -r total _ savings above extra <<< "$(ref 2.0)"
check "prices.table=2026-07: total at 2.00" near "$(json_get "$WORK/t26/summary.json" total_cost)" "$total" 1e-9
check "prices.table=2026-07: savings" near "$(sub "$WORK/t26" spot_vs_on_demand/savings)" "$savings" 1e-9
check "prices.table named" test "$(sub "$WORK/t26" on_demand_prices/chosen_by)" = prices.table

# 3. one price set by the scenario
"$CMAN_SIM" run "$DATA/od2016.yaml" -q -o "$WORK/set" --set 'prices.on_demand={"<m4.10xlarge, us-east-1>": 3.5}'
read -r total _ savings above extra <<< "$(ref 3.5)"
check "prices.on_demand: total at 3.50" near "$(json_get "$WORK/set/summary.json" total_cost)" "$total" 1e-9
check "prices.on_demand: no hour above" near "$(sub "$WORK/set" spot_vs_on_demand/hours_spot_above_on_demand)" "$above" 1e-9
check "prices.on_demand: source scenario" test \
	"$(sub "$WORK/set" 'on_demand_prices/markets/<m4.10xlarge, us-east-1a>/source')" = scenario

# 4. bad input
set +e
"$CMAN_SIM" run "$DATA/od2016.yaml" -q -o "$WORK/bad" --set prices.table=1999 2> "$WORK/err"; rc=$?
set -e
check "unknown table: exit 2" test "$rc" -eq 2
check "unknown table: names the tables" grep -q "unknown price table '1999', expected one of .*2016-07" "$WORK/err"
set +e
"$CMAN_SIM" run "$DATA/od2016.yaml" -q -o "$WORK/bad" --set 'prices.on_demand={"<m4.10xlarge, us-east-1a>": 1}' 2> "$WORK/err"; rc=$?
set -e
check "zone instead of region: exit 2" test "$rc" -eq 2
check "zone instead of region: says what is expected" grep -q 'expected "<instance type, region>"' "$WORK/err"
check "nothing written on bad input" test ! -e "$WORK/bad"
finish
