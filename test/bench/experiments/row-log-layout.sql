-- Row-log layout experiment (issue 3), not part of the extension: one candidate layout of
-- row_log with statement-level capture triggers on transition tables, measured against the same
-- statements on an unaudited copy. Run by hand on a scratch database:
--   psql -X -q -d <scratch db> -f test/bench/experiments/row-log-layout.sql
-- Variants measured on 2026-11-23 (embedded PostgreSQL 17, fsync=off, 200k rows, one run):
--   v1 row_log id PK + btree(event_id) + btree(table_id, row_key): INSERT 3.0x, UPDATE 5.3x, 138 B/inserted row
--   v2 (this file) no row id, BRIN(event_id), btree(table_id, row_key): 2.0x, 3.5x, 101 B
--   v3 BRIN(event_id) only:                                        ~1.6x, ~2.4x, 61 B
--   v2 with a hash index on row_key instead of the btree:           2.0x, 3.1x, 98 B
-- Timings vary by a third between runs here (a rerun during a CI run gave v2 2.2x and 4.3x):
-- the benchmark harness must repeat and take medians.
\timing on
DROP SCHEMA IF EXISTS layout_experiment CASCADE; CREATE SCHEMA layout_experiment;
CREATE TABLE layout_experiment.base (id bigint PRIMARY KEY, a int, b text, c numeric, d timestamptz, e boolean, f jsonb, g text);
CREATE TABLE layout_experiment.aud (LIKE layout_experiment.base INCLUDING ALL);
CREATE TABLE layout_experiment.event (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, op "char", at timestamptz);
CREATE TABLE layout_experiment.row_log (event_id bigint NOT NULL, table_id int NOT NULL, row_key jsonb NOT NULL, old_data jsonb, new_data jsonb);
CREATE INDEX ON layout_experiment.row_log USING brin (event_id);
CREATE INDEX ON layout_experiment.row_log (table_id, row_key);
CREATE FUNCTION layout_experiment.cap_ins() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v_event bigint;
BEGIN
  INSERT INTO layout_experiment.event(op, at) VALUES ('i', statement_timestamp()) RETURNING id INTO v_event;
  INSERT INTO layout_experiment.row_log(event_id, table_id, row_key) SELECT v_event, 1, jsonb_build_array(n.id) FROM new_rows n;
  RETURN NULL;
END $$;
CREATE FUNCTION layout_experiment.cap_upd() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v_event bigint;
BEGIN
  INSERT INTO layout_experiment.event(op, at) VALUES ('u', statement_timestamp()) RETURNING id INTO v_event;
  INSERT INTO layout_experiment.row_log(event_id, table_id, row_key, old_data)
  SELECT v_event, 1, jsonb_build_array(o.id), d FROM (
    SELECT o.id,
      CASE WHEN o.a IS DISTINCT FROM n.a THEN jsonb_build_object('a', o.a) ELSE '{}' END
   || CASE WHEN o.b IS DISTINCT FROM n.b THEN jsonb_build_object('b', o.b) ELSE '{}' END
   || CASE WHEN o.c IS DISTINCT FROM n.c THEN jsonb_build_object('c', o.c) ELSE '{}' END
   || CASE WHEN o.d IS DISTINCT FROM n.d THEN jsonb_build_object('d', o.d) ELSE '{}' END
   || CASE WHEN o.e IS DISTINCT FROM n.e THEN jsonb_build_object('e', o.e) ELSE '{}' END
   || CASE WHEN o.f IS DISTINCT FROM n.f THEN jsonb_build_object('f', o.f) ELSE '{}' END
   || CASE WHEN o.g IS DISTINCT FROM n.g THEN jsonb_build_object('g', o.g) ELSE '{}' END AS d
    FROM old_rows o JOIN new_rows n USING (id)) o
  WHERE d <> '{}';
  RETURN NULL;
END $$;
CREATE FUNCTION layout_experiment.cap_del() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE v_event bigint;
BEGIN
  INSERT INTO layout_experiment.event(op, at) VALUES ('d', statement_timestamp()) RETURNING id INTO v_event;
  INSERT INTO layout_experiment.row_log(event_id, table_id, row_key, old_data) SELECT v_event, 1, jsonb_build_array(o.id), to_jsonb(o) - 'id' FROM old_rows o;
  RETURN NULL;
END $$;
CREATE TRIGGER i AFTER INSERT ON layout_experiment.aud REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION layout_experiment.cap_ins();
CREATE TRIGGER u AFTER UPDATE ON layout_experiment.aud REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION layout_experiment.cap_upd();
CREATE TRIGGER d AFTER DELETE ON layout_experiment.aud REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION layout_experiment.cap_del();
CHECKPOINT;
\echo insert base
INSERT INTO layout_experiment.base SELECT g, g % 1000, md5(g::text), g * 1.5, now() - g * interval '1 s', g % 2 = 0, jsonb_build_object('k', g), 'x' || g FROM generate_series(1, 200000) g;
\echo insert aud
INSERT INTO layout_experiment.aud SELECT g, g % 1000, md5(g::text), g * 1.5, now() - g * interval '1 s', g % 2 = 0, jsonb_build_object('k', g), 'x' || g FROM generate_series(1, 200000) g;
SELECT pg_total_relation_size('layout_experiment.row_log') / 200000.0 AS bytes_per_insert_row;
\echo update base
UPDATE layout_experiment.base SET a = a + 1;
\echo update aud
UPDATE layout_experiment.aud SET a = a + 1;
SELECT (pg_total_relation_size('layout_experiment.row_log') / 200000.0) AS bytes_per_row_cumulative;
\echo delete base
DELETE FROM layout_experiment.base;
\echo delete aud
DELETE FROM layout_experiment.aud;
