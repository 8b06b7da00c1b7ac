#!/usr/bin/env bash
# Issue 12: a metrics store written before chunked storage (schema version
# 1, one row per sample; tests/data/store_v1_itest.sql is a dump of the
# store that clusterman 0.1.0 made by importing
# tests/data/import_itest-metrics.json.gz) is read as it is by `run`, and
# converted in place to schema version 2 when opened for writing
# (`import --db`), in one transaction: a conversion that fails leaves the
# old store untouched.  Every way of reading the same samples gives the
# same simulation, byte for byte.
source "$(dirname "$0")/lib/common.bash"

V1="$WORK/v1.sqlite"
make_v1() {
	rm -f "$1"
	python3 - "$DATA/store_v1_itest.sql" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[2])
db.executescript(open(sys.argv[1]).read())
db.commit()
PY
}
make_v1 "$V1"
# schema DB: the schema version and the tables of a store
schema() {
	python3 - "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
v = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
t = sorted(r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))
print(v, " ".join(t))
PY
}

# scen NAME SOURCE: the itest scenario reading SOURCE
scen() {
	sed -e "s|^  - clusterman_json: .*|  - $2|" "$DATA/itest.yaml" > "$WORK/$1.yaml"
}
scen json "clusterman_json: $DATA/import_itest-metrics.json.gz"
scen v1 "sqlite: $V1"
"$CMAN_SIM" run "$WORK/json.yaml" -q -o "$WORK/out-json"
"$CMAN_SIM" run "$WORK/v1.yaml" -q -o "$WORK/out-v1"
same() {  # same A B: the simulation outputs of two runs are identical
	local f
	for f in timeseries.csv instances.csv markets.csv daily.csv; do
		cmp -s "$1/$f" "$2/$f" || return 1
	done
}
check "a version 1 store runs as the JSON it came from" same "$WORK/out-json" "$WORK/out-v1"
check "reading a version 1 store leaves it as it is" \
	test "$(schema "$V1")" = "1 market_samples markets meta samples series"

# a new import into the old store converts it, keeping every sample
printf 'kind,key,timestamp,market,value\napp_metrics,other|x=1,1512144000,,5\n' > "$WORK/more.csv"
"$CMAN_SIM" import "$WORK/more.csv" --db "$V1" > "$WORK/import.out"
check "import converts the store to schema version 2" \
	test "$(schema "$V1")" = "2 chunks markets meta series"
"$CMAN_SIM" run "$WORK/v1.yaml" -q -o "$WORK/out-v2"
check "the converted store runs as before" same "$WORK/out-json" "$WORK/out-v2"
# the converted store holds what a fresh import of the same JSON holds
NEW="$WORK/new.sqlite"
"$CMAN_SIM" import "$DATA/import_itest-metrics.json.gz" "$WORK/more.csv" --db "$NEW" > /dev/null
dump() {
	python3 - "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for row in db.execute("SELECT s.kind, s.key, c.t0, c.t1, c.n, hex(c.data) FROM chunks c"
                      " JOIN series s ON s.id = c.series_id ORDER BY s.kind, s.key, c.t0"):
    print(*row)
PY
}
check "the converted store's chunks are a fresh import's" test "$(dump "$V1")" = "$(dump "$NEW")"
check "the converted store has samples" test -n "$(dump "$V1")"

# a conversion that fails (a damaged row) leaves the version 1 store as it was
make_v1 "$V1"
python3 - "$V1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE samples SET value = 9e999 WHERE (series_id, t, seq) IN"
           " (SELECT series_id, t, seq FROM samples WHERE is_map = 0 LIMIT 1)")
db.commit()
PY
status=0
"$CMAN_SIM" import "$WORK/more.csv" --db "$V1" > /dev/null 2> "$WORK/err" || status=$?
check "a failed conversion exits 2" test "$status" -eq 2
check "a failed conversion says so" grep -q "converting schema version 1 to 2" "$WORK/err"
check "a failed conversion names the bad row" grep -q "the value is not a finite number" "$WORK/err"
check "a failed conversion leaves version 1" \
	test "$(schema "$V1")" = "1 market_samples markets meta samples series"
finish
