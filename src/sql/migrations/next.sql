-- Release under development (control/releases.json "next"): append stateful changes here.

-- issue 5: points in time ---------------------------------------------------------------------

-- When each transaction committed, in commit order: the meaning of a timestamp point. Stamped by
-- a deferred trigger as the transaction commits (chronicle.stamp_commit). Rows logged before
-- 0.3.0 take the time of their last statement, the closest the log holds.
ALTER TABLE chronicle.transaction_log ADD COLUMN committed_at timestamptz;
UPDATE chronicle.transaction_log AS t
SET committed_at = GREATEST(t.started_at, e.last_statement_at)
FROM (SELECT e.transaction_id, pg_catalog.max(e.statement_at) AS last_statement_at
      FROM chronicle.table_event_log AS e GROUP BY e.transaction_id) AS e
WHERE e.transaction_id = t.id;
UPDATE chronicle.transaction_log SET committed_at = started_at WHERE committed_at IS NULL;
COMMENT ON COLUMN chronicle.transaction_log.committed_at IS
    'clock_timestamp() when the transaction committed (stamped as its commit began); NULL while it runs. Orders timestamp points.';
-- BRIN: commit times grow with the table, and on PostgreSQL 16+ a BRIN index leaves the stamp's
-- UPDATE a HOT update (no index entry at all); a btree would add one per transaction.
CREATE INDEX transaction_log_committed_at_idx ON chronicle.transaction_log USING brin (committed_at);
-- room on each page for the commit stamp's new row version next to the old one
ALTER TABLE chronicle.transaction_log SET (fillfactor = 90);

-- A consistent cut through the log: the transactions whose effects a point in time includes.
-- Made by chronicle.cut(point) from a mark, a timestamp or a transaction id.
CREATE TYPE chronicle.cut AS (
    description text,                -- the point as given, for messages
    snapshot pg_snapshot,            -- mark: transactions visible in this snapshot ...
    last_transaction_id bigint,      -- ... among those logged by then
    committed_until timestamptz,     -- timestamp: transactions committed by then; transaction id:
    through_transaction_id bigint    -- those committed before it, and it (ties broken by id)
);
COMMENT ON TYPE chronicle.cut IS
    'A consistent cut through the log (the transactions a point in time includes); made by chronicle.cut(point).';


-- Marks: named points in time. A mark keeps the snapshot it was set in, so its cut is exactly the
-- transactions that had committed then, taken without locking anything.
CREATE TABLE chronicle.mark (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL CONSTRAINT mark_name_key UNIQUE,
    snapshot pg_snapshot NOT NULL,
    last_transaction_id bigint NOT NULL,
    set_at timestamptz NOT NULL,
    set_by text NOT NULL,
    comment text
);
COMMENT ON TABLE chronicle.mark IS 'Named points in time (chronicle.set_mark).';
COMMENT ON COLUMN chronicle.mark.snapshot IS
    'pg_current_snapshot() of the transaction that set the mark: the transactions visible in it are before the mark.';
COMMENT ON COLUMN chronicle.mark.last_transaction_id IS
    'The largest transaction_log id the mark''s transaction saw (0 for none): every later id is after the mark, even in a log restored into another cluster.';
SELECT pg_catalog.pg_extension_config_dump('chronicle.mark', '');
SELECT pg_catalog.pg_extension_config_dump('chronicle.mark_id_seq', '');

-- The merge of a row's logged values, newest first, so that older values win:
-- jsonb_concat skips NULLs (strict), and its right operand wins on equal keys.
CREATE AGGREGATE chronicle.jsonb_merge(jsonb) (SFUNC = pg_catalog.jsonb_concat, STYPE = jsonb);
COMMENT ON AGGREGATE chronicle.jsonb_merge(jsonb) IS
    'Internal: jsonb || jsonb over the rows, skipping NULLs (the last value of a key wins).';

-- issue 6: DDL revert --------------------------------------------------------------------------

-- A revert that undoes DROP TABLE creates the table again and audits it again under its table_id:
-- this event starts its new version (its rows follow as an INSERT event), so that reverting the
-- revert drops it again.
ALTER TYPE chronicle.event_operation ADD VALUE 'CREATE TABLE';

-- issue 3: capture speed -----------------------------------------------------------------------

-- The key index of row_log becomes a BRIN bloom index. A btree entry per logged row, inserted at
-- a random place, cost about four times the row's own heap insert (650 of 820 ms per 200,000
-- entries). A bloom filter per 4 pages costs a fraction of that, and a look-up of one key reads
-- the filters (about 2 MB per million entries) and the few ranges that may hold the key.
-- n_distinct_per_range is what 4 pages of key-only entries hold, so the filters keep their
-- false-positive rate.
DROP INDEX chronicle.row_log_row_key_idx;
CREATE INDEX row_log_row_key_idx ON chronicle.row_log
    USING brin (table_id, pg_catalog.jsonb_hash(row_key) pg_catalog.int4_bloom_ops (n_distinct_per_range = 500, false_positive_rate = 0.005))
    WITH (pages_per_range = 4);
-- A look-up reads the ranges not summarized yet whole (its results never depend on it), and
-- VACUUM summarizes them. So row_log, which only grows, is vacuumed after every 2% of growth
-- rather than 20%. (Not autosummarize: it asks autovacuum for each range as it fills, and a bulk
-- statement fills more than its queue holds, each refusal a line in the server log.)
ALTER TABLE chronicle.row_log SET (autovacuum_vacuum_insert_scale_factor = 0.02);

-- Building a BRIN index summarizes every range of its table up to the last one, also when that
-- range is partial, or empty as in a fresh install; from then on each write into it updates the
-- summary: in these indexes, at every statement (ids and times grow) or every row (a bloom filter
-- takes each new key). VACUUM summarizes only full ranges, so in a log written for a while the
-- range being filled has no summary and writes into it cost next to nothing. Start there: leave
-- the last range of each log index unsummarized (docs/log-tables.md, "Summaries"). 90,000 of the
-- 863,000 instructions of a single-row UPDATE transaction while the first ranges fill.
SELECT pg_catalog.brin_desummarize_range(i.indexrelid::pg_catalog.regclass,
           GREATEST(pg_catalog.pg_relation_size(i.indrelid) / pg_catalog.current_setting('block_size')::bigint - 1, 0))
FROM pg_catalog.pg_index AS i
JOIN pg_catalog.pg_class AS c ON c.oid = i.indexrelid
JOIN pg_catalog.pg_am AS a ON a.oid = c.relam
WHERE c.relnamespace = 'chronicle'::pg_catalog.regnamespace AND a.amname = 'brin';

-- Capture functions belong to no extension (pg_dump keeps them), so this script cannot replace
-- those an earlier version generated; sync_table_structure does, and pg-chronicle upgrade runs it
-- on every audited table. Until then they keep logging the same entries, but those of 0.2.0 put
-- the table's name into a comment with its line breaks, through which a name could add code, and
-- converted values of user-defined types with to_jsonb, which calls a cast to json the type's
-- owner may have created, with the capture's superuser rights.
DO $warn$
DECLARE
    v_count integer;
BEGIN
    SELECT pg_catalog.count(*) INTO v_count FROM pg_catalog.pg_proc AS p
    WHERE p.pronamespace = 'chronicle'::pg_catalog.regnamespace AND p.proname ~ '^capture_[0-9]+$';
    IF v_count > 0 THEN
        RAISE WARNING 'the capture functions of % audited tables were generated by an earlier version of chronicle', v_count
            USING HINT = 'Generate them again: SELECT chronicle.sync_table_structure(audited_table) FROM chronicle.audited_tables '
                         'WHERE audited_table IS NOT NULL (pg-chronicle upgrade does it itself). Those of 0.2.0 need it for two security fixes: '
                         'a table name with a line break could add code to them, and a cast to json of a user-defined type ran with their rights (docs/auditing.md).';
    END IF;
END
$warn$;
