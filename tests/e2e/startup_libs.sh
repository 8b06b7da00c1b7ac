#!/usr/bin/env bash
# clusterman-sim does not load libcurl and libxml2 at start (issue 12.3: the
# 35 libraries they bring cost more CPU than a 1-day run); they are loaded
# when a dynamodb:// store needs them (e2e.dynamodb_roundtrip runs that path).
source "$(dirname "$0")/lib/common.bash"

command -v readelf > /dev/null || skip "no readelf"
needed=$(readelf -d "$CMAN_SIM" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
check "clusterman-sim needs some libraries" test -n "$needed"
check "clusterman-sim does not need libcurl at start" eval '! grep -q "^libcurl" <<< "$needed"'
check "clusterman-sim does not need libxml2 at start" eval '! grep -q "^libxml2" <<< "$needed"'
# and still runs (the help, a run) without them
check "help runs" "$CMAN_SIM" --help
"$CMAN_SIM" run "$DATA/worked_example.yaml" -q -o "$WORK/w"
check "a run without the libraries" near "$(json_get "$WORK/w/summary.json" total_cost)" 3.5 1e-9
finish
