#!/usr/bin/env bash
# clusterman-sim import: JSON and CSV files into the SQLite store, and a run
# from the store giving the same results as a run from the files.
source "$(dirname "$0")/lib/common.bash"
DB="$WORK/m.sqlite"

"$CMAN_SIM" import "$CMAN_SRC/scenarios/data/quickstart-metrics.json.gz" "$DATA/worked_example.csv" --db "$DB" > "$WORK/out"
check "import reports what it loaded" grep -q "imported [0-9]* samples" "$WORK/out"

# the quickstart from SQLite instead of JSON
sed -e "s|clusterman_json: data/quickstart-metrics.json.gz|sqlite: $DB|" \
	"$CMAN_SRC/scenarios/quickstart.yaml" > "$WORK/q-sqlite.yaml"
"$CMAN_SIM" run "$CMAN_SRC/scenarios/quickstart.yaml" -q -o "$WORK/json"
"$CMAN_SIM" run "$WORK/q-sqlite.yaml" -q -o "$WORK/sqlite"
for f in timeseries.csv instances.csv markets.csv; do
	check "sqlite run: same $f" cmp "$WORK/json/$f" "$WORK/sqlite/$f"
done

# a failing import changes nothing: the good file before the bad one is rolled back
cp "$DB" "$WORK/before.sqlite"
printf 'kind,key,timestamp,market,value\nmetadata,"x|a=b",notatime,,1\n' > "$WORK/bad.csv"
status=0
# (a good file of new rows: the rows already in the store would be refused)
printf 'kind,key,timestamp,market,value\nmetadata,"y|a=b",1000,,1\n' > "$WORK/good.csv"
"$CMAN_SIM" import "$WORK/good.csv" "$WORK/bad.csv" --db "$DB" 2> "$WORK/err" || status=$?
check "bad import exits 2" test "$status" -eq 2
check "bad import names file and line" grep -q "bad\.csv:2:" "$WORK/err"
check "database unchanged" test "$(sqlite3 "$DB" 'select count(*) from samples')" = "$(sqlite3 "$WORK/before.sqlite" 'select count(*) from samples')"

# a failing import into a new file leaves no database behind
status=0
"$CMAN_SIM" import "$WORK/bad.csv" --db "$WORK/new.sqlite" 2> /dev/null || status=$?
check "bad import into new db exits 2" test "$status" -eq 2
check "no new database left" test ! -e "$WORK/new.sqlite"
finish
