#!/usr/bin/env bash
# Golden outputs from a fixed seed: Clusterman's itest metrics replayed with
# join delays and per-hour billing must give exactly the checked-in files.
# CMAN_UPDATE_GOLDEN=1 rewrites them (review the diff before committing).
source "$(dirname "$0")/lib/common.bash"
GOLD="$CMAN_SRC/tests/golden"

for case in itest quickstart; do
	if [ "$case" = quickstart ]; then
		scen="$CMAN_SRC/scenarios/quickstart.yaml"
	else
		scen="$DATA/$case.yaml"
	fi
	"$CMAN_SIM" run "$scen" -q -o "$WORK/$case"
	# the run's identity (run_id, scenario_hash: hashes of the data and of
	# the effective scenario, see README "Run directory") is not part of the
	# golden numbers: its two lines are left out like wall_seconds
	strip_wall "$WORK/$case/summary.json" | grep -v -e '^  "run_id": ' -e '^  "scenario_hash": ' \
		> "$WORK/$case/summary.nowall.json"
	if [ "${CMAN_UPDATE_GOLDEN:-0}" = 1 ]; then
		mkdir -p "$GOLD/$case"
		cp "$WORK/$case/summary.nowall.json" "$GOLD/$case/summary.json"
		cp "$WORK/$case/timeseries.csv" "$WORK/$case/instances.csv" "$WORK/$case/markets.csv" "$GOLD/$case/"
	fi
	for f in timeseries.csv instances.csv markets.csv; do
		check "$case $f matches golden" cmp "$WORK/$case/$f" "$GOLD/$case/$f"
	done
	check "$case summary.json matches golden" cmp "$WORK/$case/summary.nowall.json" "$GOLD/$case/summary.json"
done
finish
