#!/usr/bin/env bash
# Issue 8.6: fit-prices on the real 2016 spot prices must reproduce their
# spread and their spikes, not only their mean.  <m4.10xlarge, us-east-1b>
# (2016-03-01 .. 03-22) sat near $0.50/h with spikes to $25/h lasting hours.
# The statistics of the record and of a 200-day path generated from the fit
# are computed here by tests/e2e/lib/pathstats.py, not by the program.
source "$(dirname "$0")/lib/common.bash"
REAL="$CMAN_SRC/scenarios/data/real-spot-2016-prices.csv.gz"
M="<m4.10xlarge, us-east-1b>"
export PYTHONPATH="$(dirname "$0")/lib"

"$CMAN_SIM" fit-prices "$REAL" --market "$M" --name p --out "$WORK/fit.yaml" 2> "$WORK/fit.err"
check "fit-prices succeeds" test -s "$WORK/fit.yaml"
check "no poor-fit warning" test ! -s "$WORK/fit.err"
check "goodness-of-fit table" grep -q "^#   KS distance of the prices" "$WORK/fit.yaml"
check "spike durations reported" grep -q "^#   spike duration, median h" "$WORK/fit.yaml"
check "the fit says it is good" grep -q "^# fit: good" "$WORK/fit.yaml"

# a 200-day path of the fitted model through the generator
{
	printf 'seed: 11\nstart_time: 2016-03-01T00:00:00Z\nend_time: 2016-09-17T00:00:00Z\n'
	printf 'cluster: c\npool: p\nseries:\n'
	sed -n '/^- name: p/,$p' "$WORK/fit.yaml"
} > "$WORK/gen.yaml"
"$CMAN_SIM" generate "$WORK/gen.yaml" --csv "$WORK/gen.csv" > /dev/null
check "generated a path" test -s "$WORK/gen.csv"

check "record and generated path agree" python3 - "$REAL" "$WORK/gen.csv" <<'PY'
import sys, statistics
from pathstats import read_aws_csv, read_metrics_csv, grid, stats, ks
rec = grid(read_aws_csv(sys.argv[1], "m4.10xlarge", "us-east-1b"))
gen = grid(read_metrics_csv(sys.argv[2]))
thr = 2 * statistics.median(rec)
a, b = stats(rec, thr), stats(gen, thr)
d = ks(rec, gen)
print("recorded ", a)
print("generated", b)
print("KS", d)
ok = True
def want(cond, what):
    global ok
    if not cond:
        print("FAIL:", what)
        ok = False
# the record: sd $5.81/h around a mean of $2.09/h, spikes above $1/h
want(abs(a["sd"] - 5.81) < 0.05, "recorded sd")
want(0.67 < b["sd"] / a["sd"] < 1.5, "spread within x1.5 (old fit: 9x too small)")
want(0.67 < b["mean"] / a["mean"] < 1.5, "mean within x1.5")
want(d < 0.2, "KS distance below 0.2 (old fit: 0.9)")
want(a["spikes"] >= 3 and b["spikes"] >= 3, "spikes in both")
want(1 / 3 < b["spike_h_median"] / a["spike_h_median"] < 3, "median spike duration within x3")
want(0.5 < b["spike_h_mean"] / a["spike_h_mean"] < 2, "mean spike duration within x2")
want(0.5 < b["spike_share"] / a["spike_share"] < 2, "time in spikes within x2")
sys.exit(0 if ok else 1)
PY

# the single-regime jump model cannot: a loud warning, and POOR FIT in the file
"$CMAN_SIM" fit-prices "$REAL" --market "$M" --spike-factor 0 --out "$WORK/jump.yaml" 2> "$WORK/jump.err"
check "jump model: warns of a poor fit" grep -q "warning: fit-prices <m4.10xlarge, us-east-1b>: poor fit: KS distance" "$WORK/jump.err"
check "jump model: POOR FIT in the file" grep -q "^# POOR FIT: " "$WORK/jump.yaml"
check "jump model: no spike regime" bash -c "! grep -q spike_rate '$WORK/jump.yaml'"

# bad option values
set +e
"$CMAN_SIM" fit-prices "$REAL" --market "$M" --spike-factor 0.5 2> "$WORK/bad.err"; rc=$?
set -e
check "--spike-factor 0.5: exit 2" test "$rc" -eq 2
check "--spike-factor 0.5: says why" grep -q "expected 0 or a factor above 1" "$WORK/bad.err"
finish
