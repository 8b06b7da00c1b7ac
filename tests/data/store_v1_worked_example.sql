-- A metrics store of schema version 1 (one row per sample), as clusterman
-- 0.1.0 wrote it; dumped with Python's sqlite3 iterdump (see tests/e2e/store_migration.sh)
BEGIN TRANSACTION;
CREATE TABLE market_samples(series_id INTEGER NOT NULL, t INTEGER NOT NULL, seq INTEGER NOT NULL, market_id INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY(series_id, t, seq, market_id)) WITHOUT ROWID;
INSERT INTO "market_samples" VALUES(1,1512086400,0,1,2.0);
CREATE TABLE markets(id INTEGER PRIMARY KEY, instance_type TEXT NOT NULL, az TEXT NOT NULL, UNIQUE(instance_type, az));
INSERT INTO "markets" VALUES(1,'m5.large','us-west-2a');
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "meta" VALUES('format','clusterman-metrics');
INSERT INTO "meta" VALUES('schema_version','1');
CREATE TABLE samples(series_id INTEGER NOT NULL, t INTEGER NOT NULL, seq INTEGER NOT NULL, value REAL NOT NULL, is_map INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(series_id, t, seq)) WITHOUT ROWID;
INSERT INTO "samples" VALUES(1,1512086400,0,2.0,1);
INSERT INTO "samples" VALUES(2,1512086400,0,1.0,0);
INSERT INTO "samples" VALUES(2,1512088200,0,2.0,0);
INSERT INTO "samples" VALUES(3,1512086400,0,1.0,0);
CREATE TABLE series(id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, key TEXT NOT NULL, UNIQUE(kind, key));
INSERT INTO "series" VALUES(1,2,'fulfilled_capacity|cluster=test,pool=default.mesos');
INSERT INTO "series" VALUES(2,2,'spot_prices|aws_availability_zone=us-west-2a,aws_instance_type=m5.large');
INSERT INTO "series" VALUES(3,0,'cpus_allocated|cluster=test,pool=default.mesos');
COMMIT;
