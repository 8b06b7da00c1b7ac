#!/usr/bin/env bash
# Issue 8.7: import prints each series' span and value range, refuses rows
# it already imported, points a plain time-series CSV at --format
# timeseries; `inspect STORE` lists the series, spans and counts.  Expected
# lines are written out from tests/data/worked_example.csv by hand.
source "$(dirname "$0")/lib/common.bash"
DB="$WORK/m.sqlite"
W="$DATA/worked_example.csv"

"$CMAN_SIM" import "$W" --db "$DB" > "$WORK/out1"
check "import: the fulfilled-capacity series" grep -qxF \
	'  metadata fulfilled_capacity|cluster=test,pool=default.mesos: 1 sample, 2017-12-01T00:00:00Z to 2017-12-01T00:00:00Z, values 2 to 2' "$WORK/out1"
check "import: the spot-price series" grep -qxF \
	'  metadata spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=m5.large: 2 samples, 2017-12-01T00:00:00Z to 2017-12-01T00:30:00Z, values 1 to 2' "$WORK/out1"
check "import: the allocation series" grep -qxF \
	'  system_metrics cpus_allocated|cluster=test,pool=default.mesos: 1 sample, 2017-12-01T00:00:00Z to 2017-12-01T00:00:00Z, values 1 to 1' "$WORK/out1"
cp "$DB" "$WORK/before.sqlite"

# the same rows again: refused, the store unchanged
st=0
"$CMAN_SIM" import "$W" --db "$DB" > /dev/null 2> "$WORK/err" || st=$?
check "same rows twice: exit 2 (got $st)" test "$st" -eq 2
check "same rows twice: says so" grep -q "already has a sample at 2017-12-01T00:00:00Z" "$WORK/err"
check "same rows twice: the store unchanged" cmp "$DB" "$WORK/before.sqlite"
# new rows of the same series after the stored ones are fine
cat > "$WORK/more.csv" <<'CSV'
kind,key,timestamp,market,value
metadata,"spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=m5.large",2017-12-01T01:00:00Z,,3.5
CSV
"$CMAN_SIM" import "$WORK/more.csv" --db "$DB" > "$WORK/out2"
check "new rows: imported" grep -qF 'm5.large: 1 sample, 2017-12-01T01:00:00Z to 2017-12-01T01:00:00Z, values 3.5 to 3.5' "$WORK/out2"
# ... and a row inside the stored span at a new time too
sed 's/01:00:00Z,,3.5/00:15:00Z,,1.5/' "$WORK/more.csv" > "$WORK/gap.csv"
check "a new time inside the stored span: imported" "$CMAN_SIM" import "$WORK/gap.csv" --db "$DB"

# inspect: every series with its count and span (3 + 1 + 1 spot prices)
"$CMAN_SIM" inspect "$DB" > "$WORK/inspect"
check "inspect: spot prices" grep -qxF \
	'  metadata spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=m5.large: 4 samples, 2017-12-01T00:00:00Z to 2017-12-01T01:00:00Z, values 1 to 3.5' "$WORK/inspect"
check "inspect: totals" grep -qxF "$DB: 3 series, 6 samples" "$WORK/inspect"
"$CMAN_SIM" inspect "$W" --prefix cpus_ > "$WORK/inspect2"
check "inspect a CSV file, by prefix" test "$(grep -c '^  ' "$WORK/inspect2")" -eq 1
st=0
"$CMAN_SIM" inspect "$WORK/nope.sqlite" 2> /dev/null || st=$?
check "inspect a missing store: exit 2 (got $st)" test "$st" -eq 2

# a plain time-series CSV: the error says to use --format timeseries
printf 'time,cpus\n2017-12-01T00:00:00Z,3\n2017-12-01T00:05:00Z,4\n' > "$WORK/ts.csv"
st=0
"$CMAN_SIM" import "$WORK/ts.csv" --db "$WORK/t.sqlite" 2> "$WORK/err" || st=$?
check "time-series CSV: exit 2 (got $st)" test "$st" -eq 2
check "time-series CSV: says to use --format timeseries" grep -q -- "--format timeseries" "$WORK/err"
check "time-series CSV: no store left" test ! -e "$WORK/t.sqlite"
"$CMAN_SIM" import "$WORK/ts.csv" --db "$WORK/t.sqlite" --format timeseries \
	--metric cpus_allocated --cluster c --pool p > "$WORK/out3"
check "time-series CSV with --format timeseries: span and range" grep -qF \
	'cpus_allocated|cluster=c,pool=p.mesos: 2 samples, 2017-12-01T00:00:00Z to 2017-12-01T00:05:00Z, values 3 to 4' "$WORK/out3"
finish
