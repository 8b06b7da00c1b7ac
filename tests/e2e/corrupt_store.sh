#!/usr/bin/env bash
# Issue 9.4: a damaged SQLite metrics store is an input error (exit 2, one
# message naming the file and, for a bad row, the row), never an assertion
# or a run that exits 0, for both `run` (sqlite: source) and `import` (an
# SQLite file imported, and a damaged --db store).  Both layouts: chunked
# stores (schema version 2, written by this version; damaged blobs are
# built by an encoder written here from the format in store_sqlite.c) and
# one-row-per-sample stores (schema version 1, made from an SQL dump of a
# store that clusterman 0.1.0 wrote), which are still read as they are.
source "$(dirname "$0")/lib/common.bash"

GOOD="$WORK/good.sqlite"
"$CMAN_SIM" import "$DATA/worked_example.csv" --db "$GOOD" > /dev/null
GOOD_V1="$WORK/good-v1.sqlite"
python3 - "$DATA/store_v1_worked_example.sql" "$GOOD_V1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[2])
db.executescript(open(sys.argv[1]).read())
db.commit()
PY

cat > "$WORK/s.yaml" <<EOS
name: corrupt
cluster: test
pool: default
start_time: 2017-12-01T00:00:00Z
end_time: 2017-12-01T02:00:00Z
metrics:
  - sqlite: $WORK/bad.sqlite
EOS

# expect_bad NAME PATTERN: the store $WORK/bad.sqlite is refused by run,
# by import (as a source) and by import (as the --db store).
expect_bad() {
	local name=$1 pattern=$2 status
	status=0
	rm -rf "$WORK/out"
	"$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/out" 2> "$WORK/err" || status=$?
	if [ "$status" -ne 2 ]; then fail "$name: run: exit status $status, expected 2"; cat "$WORK/err" >&2
	elif [ "$(wc -l < "$WORK/err")" -ne 1 ] || ! grep -Eq -- "bad\.sqlite: .*$pattern" "$WORK/err"; then
		fail "$name: run: message does not match /$pattern/"; cat "$WORK/err" >&2
	elif [ -e "$WORK/out/summary.json" ]; then fail "$name: run: summary.json written"
	else pass; fi
	status=0
	rm -f "$WORK/new.sqlite"
	"$CMAN_SIM" import "$WORK/bad.sqlite" --db "$WORK/new.sqlite" > /dev/null 2> "$WORK/err" || status=$?
	if [ "$status" -ne 2 ]; then fail "$name: import source: exit status $status, expected 2"; cat "$WORK/err" >&2
	elif ! grep -Eq -- "bad\.sqlite: .*$pattern" "$WORK/err"; then
		fail "$name: import source: message does not match /$pattern/"; cat "$WORK/err" >&2
	else pass; fi
}

# expect_bad_db NAME PATTERN: $WORK/bad.sqlite refused as import's --db
expect_bad_db() {
	local name=$1 pattern=$2 status=0
	cp "$WORK/bad.sqlite" "$WORK/db.sqlite"
	"$CMAN_SIM" import "$DATA/worked_example.csv" --db "$WORK/db.sqlite" > /dev/null 2> "$WORK/err" || status=$?
	if [ "$status" -ne 2 ]; then fail "$name: import --db: exit status $status, expected 2"; cat "$WORK/err" >&2
	elif ! grep -Eq -- "db\.sqlite: .*$pattern" "$WORK/err"; then
		fail "$name: import --db: message does not match /$pattern/"; cat "$WORK/err" >&2
	else pass; fi
}

# the good stores run
status=0
cp "$GOOD" "$WORK/bad.sqlite"
"$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/ok" || status=$?
check "an intact store runs" test "$status" -eq 0
status=0
cp "$GOOD_V1" "$WORK/bad.sqlite"
"$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/ok1" || status=$?
check "an intact version 1 store runs" test "$status" -eq 0
check "the version 1 store gives the same time series" cmp "$WORK/ok/timeseries.csv" "$WORK/ok1/timeseries.csv"

size=$(stat -c %s "$GOOD")
page=$(python3 -c 'import sys; h=open(sys.argv[1],"rb").read(100); p=int.from_bytes(h[16:18],"big"); print(65536 if p==1 else p)' "$GOOD")

# --- truncated -------------------------------------------------------------
head -c $((size - 100)) "$GOOD" > "$WORK/bad.sqlite"
expect_bad "truncated mid-page" "corrupt metrics database.*whole number of $page-byte pages"
expect_bad_db "truncated mid-page" "corrupt metrics database"
head -c $((size - page)) "$GOOD" > "$WORK/bad.sqlite"
expect_bad "truncated at a page boundary" "corrupt metrics database.*the header says"
head -c 50 "$GOOD" > "$WORK/bad.sqlite"
expect_bad "truncated header" "too short for an SQLite header"

# --- garbage pages (every page after the first) --------------------------------
python3 - "$GOOD" "$WORK/bad.sqlite" "$page" <<'PY'
import random, sys
data = bytearray(open(sys.argv[1], "rb").read())
page = int(sys.argv[3])
rnd = random.Random(9)
for i in range(page, len(data)):
    data[i] = rnd.randrange(256)
open(sys.argv[2], "wb").write(bytes(data))
PY
expect_bad "garbage pages" "(corrupt|not a clusterman) metrics database"
expect_bad_db "garbage pages" "(corrupt|not a clusterman) metrics database"

# --- version 2: a foreign table layout ---------------------------------------------
cp "$GOOD" "$WORK/bad.sqlite"
python3 - "$WORK/bad.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("DROP TABLE chunks; CREATE TABLE chunks(x);")
db.commit()
PY
expect_bad "chunks replaced" "table chunks is missing or differs"

# --- version 2: damaged chunks --------------------------------------------------------
# bad_chunk PYTHON: the good store with the spot price series' chunk (or,
# with CAP=1 in the code, the capacity series') changed by PYTHON, which
# sees enc(samples) -> blob, the row's t0, t1, n, data, and sets them.
bad_chunk() {
	cp "$GOOD" "$WORK/bad.sqlite"
	python3 - "$WORK/bad.sqlite" "$1" <<'PY'
import sqlite3, struct, sys

def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7f) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)

def value(v):
    if isinstance(v, int):
        return b"\x01" + varint(v << 1 if v >= 0 else ((-v - 1) << 1) | 1)
    return b"\x00" + struct.pack("<d", v)

def enc(samples):
    out, prev = b"", samples[0][0]
    for t, v in samples:
        out += varint(t - prev) + value(v)
        prev = t
    return out

db = sqlite3.connect(sys.argv[1])
CAP = 0
code = sys.argv[2]
like = "fulfilled_capacity%" if "CAP=1" in code else "spot_prices%"
sid = db.execute("SELECT id FROM series WHERE key LIKE ?", (like,)).fetchone()[0]
t0, t1, n, data = db.execute("SELECT t0, t1, n, data FROM chunks WHERE series_id = ?", (sid,)).fetchone()
old_t0 = t0
exec(code)
db.execute("DELETE FROM chunks WHERE series_id = ? AND t0 = ?", (sid, old_t0))
db.execute("INSERT INTO chunks VALUES(?, ?, ?, ?, ?)", (sid, t0, t1, n, data))
db.commit()
PY
}
SPOT="metadata key 'spot_prices[^']*', chunk t0=1512086400"
# the intact spot price chunk, as this encoder writes it (prices 1.0, 2.0)
check "the encoder here writes what the store writes" \
	bad_chunk "assert data == enc([(1512086400, 1), (1512088200, 2)]), data.hex()"
status=0
"$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/ok2" || status=$?
check "the re-encoded chunk runs" test "$status" -eq 0
# sample 1 is 3 bytes (time step 0, tag 1, zigzag 2): sample 2 starts at byte 3
bad_chunk "data = enc([(1512086400, 1), (1512088200, float('inf'))])"
expect_bad "an infinite value" "$SPOT, sample 2 \\(byte 3 of the blob\\): the value is not a finite number"
bad_chunk "data = enc([(1512086400, 1)]) + varint(1800) + b'\\x07' + bytes(8)"
expect_bad "an unknown value tag" "$SPOT, sample 2 \\(byte 3 of the blob\\): an unknown value tag"
bad_chunk "data = data[:-1]"
expect_bad "a truncated blob" "$SPOT, sample 2 \\(byte 3 of the blob\\): the blob ends inside a number"
bad_chunk "n = 3"
expect_bad "a count too large" "$SPOT, sample 3 \\(byte 7 of the blob\\): the blob ends before the chunk's count"
bad_chunk "n = 1"
expect_bad "a count too small" "$SPOT: bytes left after the last sample"
bad_chunk "t1 = 1512087000"
expect_bad "a time after t1" "$SPOT, sample 2 \\(byte 3 of the blob\\): a time after the chunk's t1"
bad_chunk "t1 = 1512090000"
expect_bad "t1 after the last sample" "$SPOT: the last sample's time is not t1"
bad_chunk "t1 = 'soon'"
expect_bad "a text t1" "$SPOT: a value of the wrong type"
bad_chunk "data = 'text'"
expect_bad "a text blob" "$SPOT: a value of the wrong type"
bad_chunk "t1 = 99999999999999"
expect_bad "a time past year 9999" "$SPOT: the time is outside"
# the capacity map: time step 0, tag 2, one entry of market 1, value 2
bad_chunk "CAP=1; assert data == b'\\x00\\x02\\x01\\x01\\x01\\x04', data.hex(); data = b'\\x00\\x02\\x01\\x09\\x01\\x04'"
expect_bad "an unknown market id" "metadata key 'fulfilled_capacity[^']*', chunk t0=1512086400, sample 1 \\(byte 0 of the blob\\): a market id missing"
bad_chunk "CAP=1; data = b'\\x00\\x02\\x02\\x01\\x01\\x04\\x01\\x01\\x04'"
expect_bad "a market twice in a map" "sample 1 \\(byte 0 of the blob\\): a market twice in one map"
# a map with the bytes of the one before (a reader may take the entries it
# decoded then), whole, then cut short by the blob's end
bad_chunk "CAP=1; data = b'\\x00\\x02\\x01\\x01\\x01\\x04\\x3c\\x02\\x01\\x01\\x01\\x04'; n = 2; t1 = t0 + 60"
status=0
"$CMAN_SIM" run "$WORK/s.yaml" -q -o "$WORK/ok3" || status=$?
check "a map repeating the one before runs" test "$status" -eq 0
bad_chunk "CAP=1; data = b'\\x00\\x02\\x01\\x01\\x01\\x04\\x3c\\x02\\x01\\x01\\x01'; n = 2; t1 = t0 + 60"
expect_bad "a repeated map cut short" "sample 2 \\(byte 6 of the blob\\): the blob ends inside a number"
# two chunks that overlap (a damaged index would hand them out so)
cp "$GOOD" "$WORK/bad.sqlite"
python3 - "$WORK/bad.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
sid = db.execute("SELECT id FROM series WHERE key LIKE 'spot_prices%'").fetchone()[0]
db.execute("INSERT INTO chunks VALUES(?, 1512087000, 1512087000, 1, X'000106')", (sid,))
db.commit()
PY
expect_bad "overlapping chunks" "metadata key 'spot_prices[^']*', chunk t0=1512087000: chunks out of order"

# --- version 1: a foreign table layout -------------------------------------------
cp "$GOOD_V1" "$WORK/bad.sqlite"
python3 - "$WORK/bad.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("DROP TABLE market_samples; CREATE TABLE market_samples(x);")
db.commit()
PY
expect_bad "a table replaced" "table market_samples is missing or differs"

# --- version 1: impossible rows (SQLite's type affinity lets these in) -----------
# bad_row SQL: the good store with one statement applied
bad_row() {
	cp "$GOOD_V1" "$WORK/bad.sqlite"
	python3 - "$WORK/bad.sqlite" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute(sys.argv[2])
db.commit()
PY
}
SP="(SELECT id FROM series WHERE key LIKE 'spot_prices%')"
bad_row "UPDATE samples SET value = 'cheap' WHERE series_id = $SP AND t = 1512088200"
expect_bad "a text value" "table samples, metadata key 'spot_prices[^']*', row t=1512088200 seq=0: a value of the wrong type"
bad_row "UPDATE samples SET value = 9e999 WHERE series_id = $SP AND t = 1512088200"
expect_bad "an infinite value" "row t=1512088200 seq=0: the value is not a finite number"
bad_row "UPDATE samples SET t = 'soon' WHERE series_id = $SP AND t = 1512088200"
expect_bad "a text time" "row t=soon seq=0: a value of the wrong type"
bad_row "UPDATE samples SET t = 1512088200.5 WHERE series_id = $SP AND t = 1512088200"
expect_bad "a fractional time" "row t=1512088200.5 seq=0: a value of the wrong type"
bad_row "UPDATE samples SET is_map = 7 WHERE series_id = $SP AND t = 1512088200"
expect_bad "is_map 7" "row t=1512088200 seq=0: is_map must be 0 or 1"
bad_row "UPDATE market_samples SET value = 'x'"
expect_bad "a text market value" "table market_samples, metadata key 'fulfilled_capacity[^']*', row t=1512086400 seq=0: a value of the wrong type"
bad_row "UPDATE series SET kind = 9 WHERE key LIKE 'spot_prices%'"
expect_bad "a series of kind 9" "table series, row id [0-9]+: expected"

# --- version 1: rows out of order: two times swapped inside the b-tree page -------
cp "$GOOD_V1" "$WORK/bad.sqlite"
python3 - "$WORK/bad.sqlite" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
a, b = struct.pack(">I", 1512086400), struct.pack(">I", 1512088200)
# the spot price series is the only one with a sample at the second time;
# SQLite fills a page's cells from its end in insertion order, so the cell
# right after it holds the same series' first sample: swapping the two times
# makes the page hand the rows out of time order
j = data.find(b)
assert j > 0 and data.find(b, j + 1) < 0
i = data.find(a, j)
assert 0 < i - j < 32
data[i:i + 4], data[j:j + 4] = b, a
open(sys.argv[1], "wb").write(bytes(data))
PY
expect_bad "rows out of order" "row t=1512086400 seq=0: out of order"
finish
