-- chronicle 0.3.0 install script
-- GENERATED FILE, do not edit: made by `npm run generate` from src/sql/ and control/.

-- complain if this script is sourced in psql rather than run by the extension machinery
\echo Use "CREATE EXTENSION chronicle" to load this file. \quit

-- every name below is schema-qualified; nothing may resolve through the caller's path
SET LOCAL search_path = pg_catalog, pg_temp;

-- ==== migration step 0.1.0
-- Release 0.1.0: the chronicle schema itself.
-- PostgreSQL creates the schema named in chronicle.control before this script runs. Refuse to
-- install into a schema that already holds objects: they could be planted by another role, and
-- the extension's functions would resolve to them.
DO $guard$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_class c
                WHERE c.relnamespace = 'chronicle'::pg_catalog.regnamespace)
       OR EXISTS (SELECT FROM pg_catalog.pg_proc p
                   WHERE p.pronamespace = 'chronicle'::pg_catalog.regnamespace)
       OR EXISTS (SELECT FROM pg_catalog.pg_type t
                   WHERE t.typnamespace = 'chronicle'::pg_catalog.regnamespace)
    THEN
        RAISE EXCEPTION 'schema "chronicle" already contains objects'
            USING ERRCODE = 'duplicate_schema',
                  HINT = 'Drop or rename the existing schema "chronicle", then run CREATE EXTENSION chronicle again.';
    END IF;
END
$guard$;

-- ==== migration step 0.2.0
-- Release under development (control/releases.json "next"): append stateful changes here.

-- One row per transaction that changed audited data. Its id is taken once per transaction (never
-- per statement), so no sequence value is burned.
CREATE TABLE chronicle.transaction_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid xid8 NOT NULL,
    started_at timestamptz NOT NULL,
    session_user_name text NOT NULL,  -- text, not name: name is a fixed 64 bytes
    client_addr inet,
    client_port integer,
    application_name text,
    session_info jsonb,
    -- A txid is unique within a cluster, but a log restored from another cluster holds txids this
    -- one will reach again: the start time tells those transactions apart.
    CONSTRAINT transaction_log_txid_key UNIQUE (txid, started_at)
);

COMMENT ON TABLE chronicle.transaction_log IS
    'One row per transaction that changed audited data, with its session context.';
COMMENT ON COLUMN chronicle.transaction_log.id IS
    'Transaction log id, increasing in the order transactions first wrote audited data.';
COMMENT ON COLUMN chronicle.transaction_log.txid IS
    'The transaction''s 64-bit id (pg_current_xact_id()), unique for the life of the cluster.';
COMMENT ON COLUMN chronicle.transaction_log.started_at IS
    'transaction_timestamp(): when the transaction started.';
COMMENT ON COLUMN chronicle.transaction_log.session_user_name IS
    'session_user of the connection (the login role, whatever SET ROLE says).';
COMMENT ON COLUMN chronicle.transaction_log.client_addr IS
    'inet_client_addr(): the client''s address; NULL over a Unix socket.';
COMMENT ON COLUMN chronicle.transaction_log.client_port IS
    'inet_client_port(): the client''s port; NULL over a Unix socket.';
COMMENT ON COLUMN chronicle.transaction_log.application_name IS
    'application_name of the session when the transaction first wrote audited data.';
COMMENT ON COLUMN chronicle.transaction_log.session_info IS
    'The JSON object of the setting chronicle.session_info when the transaction first wrote audited data; '
    'a value that is not a JSON object is kept as {"invalid_session_info": "<text>"}.';

SELECT pg_catalog.pg_extension_config_dump('chronicle.transaction_log', '');
SELECT pg_catalog.pg_extension_config_dump('chronicle.transaction_log_id_seq', '');

-- Every version of every audited table: its name, key and logging options, and the transactions
-- in which that version was valid. table_id is stable across versions; id names one version.
CREATE TABLE chronicle.audit_table_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_id integer NOT NULL,
    schema_name name NOT NULL,
    table_name name NOT NULL,
    key_columns name[] NOT NULL,
    log_old_data boolean NOT NULL,
    log_new_data boolean NOT NULL,
    excluded_columns name[] NOT NULL,
    valid_from bigint NOT NULL,
    valid_until bigint,
    CONSTRAINT audit_table_log_valid_range_check CHECK (valid_until IS NULL OR valid_until >= valid_from)
);
CREATE UNIQUE INDEX audit_table_log_current_version_key
    ON chronicle.audit_table_log (table_id) WHERE valid_until IS NULL;
CREATE INDEX audit_table_log_current_name_idx
    ON chronicle.audit_table_log (schema_name, table_name) WHERE valid_until IS NULL;

COMMENT ON TABLE chronicle.audit_table_log IS
    'Every version of every audited table: name, key, logging options and the transactions in which the version was valid.';
COMMENT ON COLUMN chronicle.audit_table_log.id IS 'Id of this version.';
COMMENT ON COLUMN chronicle.audit_table_log.table_id IS
    'Stable id of the audited table (the id of its first version), the same in all its versions and in table_event_log and row_log.';
COMMENT ON COLUMN chronicle.audit_table_log.schema_name IS 'Schema of the table in this version.';
COMMENT ON COLUMN chronicle.audit_table_log.table_name IS 'Name of the table in this version.';
COMMENT ON COLUMN chronicle.audit_table_log.key_columns IS
    'Columns of the row key (the primary key, or a unique key on NOT NULL columns), in key order.';
COMMENT ON COLUMN chronicle.audit_table_log.log_old_data IS
    'Whether row_log.old_data holds old values (changed columns on UPDATE, the whole row on DELETE and TRUNCATE).';
COMMENT ON COLUMN chronicle.audit_table_log.log_new_data IS
    'Whether row_log.new_data holds new values (the whole row on INSERT, changed columns on UPDATE).';
COMMENT ON COLUMN chronicle.audit_table_log.excluded_columns IS 'Columns never written to the log.';
COMMENT ON COLUMN chronicle.audit_table_log.valid_from IS
    'transaction_log id of the transaction that created this version.';
COMMENT ON COLUMN chronicle.audit_table_log.valid_until IS
    'transaction_log id of the transaction that replaced or ended this version; NULL for the current version.';

-- Every version of every column of an audited table.
CREATE TABLE chronicle.audit_column_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    table_id integer NOT NULL,
    column_name name NOT NULL,
    ordinal_position smallint NOT NULL,
    data_type text NOT NULL,
    column_default text,
    not_null boolean NOT NULL,
    generated text,
    identity text,
    valid_from bigint NOT NULL,
    valid_until bigint,
    CONSTRAINT audit_column_log_valid_range_check CHECK (valid_until IS NULL OR valid_until >= valid_from),
    CONSTRAINT audit_column_log_generated_check CHECK (generated IN ('STORED', 'VIRTUAL')),
    CONSTRAINT audit_column_log_identity_check CHECK (identity IN ('ALWAYS', 'BY DEFAULT'))
);
CREATE INDEX audit_column_log_table_idx ON chronicle.audit_column_log (table_id, ordinal_position);

COMMENT ON TABLE chronicle.audit_column_log IS
    'Every version of every column of an audited table, with the transactions in which it was valid.';
COMMENT ON COLUMN chronicle.audit_column_log.id IS 'Id of this column version.';
COMMENT ON COLUMN chronicle.audit_column_log.table_id IS 'audit_table_log.table_id of the table.';
COMMENT ON COLUMN chronicle.audit_column_log.column_name IS 'Name of the column in this version.';
COMMENT ON COLUMN chronicle.audit_column_log.ordinal_position IS 'Attribute number of the column (pg_attribute.attnum).';
COMMENT ON COLUMN chronicle.audit_column_log.data_type IS 'Type with its modifier, as format_type() writes it (e.g. numeric(10,2)).';
COMMENT ON COLUMN chronicle.audit_column_log.column_default IS 'Default expression, as pg_get_expr() writes it; NULL if none.';
COMMENT ON COLUMN chronicle.audit_column_log.not_null IS 'Whether the column is NOT NULL.';
COMMENT ON COLUMN chronicle.audit_column_log.generated IS 'STORED or VIRTUAL for a generated column (the expression is in column_default); NULL otherwise.';
COMMENT ON COLUMN chronicle.audit_column_log.identity IS 'ALWAYS or BY DEFAULT for an identity column; NULL otherwise.';
COMMENT ON COLUMN chronicle.audit_column_log.valid_from IS 'transaction_log id of the transaction that created this version.';
COMMENT ON COLUMN chronicle.audit_column_log.valid_until IS
    'transaction_log id of the transaction that replaced or ended this version; NULL for the current version.';

-- What an event did. An enum rather than a CHECK on text: PostgreSQL parses a CHECK constraint's
-- expression again in every statement that inserts a row, and an event is inserted by almost
-- every audited statement (about a twentieth of a single-row UPDATE's auditing cost).
-- The DDL operations (issue 4, docs/ddl.md) are listed here, not added by ALTER TYPE ... ADD VALUE
-- below: a value added so cannot be used before the transaction that installs the extension commits.
CREATE TYPE chronicle.event_operation AS ENUM ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'BASELINE',
    'ADD COLUMN', 'DROP COLUMN', 'RENAME COLUMN', 'ALTER COLUMN TYPE', 'ALTER COLUMN DEFAULT', 'ALTER COLUMN NOT NULL',
    'ALTER COLUMN IDENTITY', 'ALTER COLUMN EXPRESSION', 'RENAME TABLE', 'SET SCHEMA', 'ALTER KEY', 'DROP TABLE',
    'ATTACH PARTITION', 'DETACH PARTITION', 'DROP PARTITION', 'DDL PRE-IMAGE');

-- One row per statement and audited table that changed rows.
CREATE TABLE chronicle.table_event_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id bigint NOT NULL,
    table_id integer NOT NULL,
    operation chronicle.event_operation NOT NULL,
    statement_at timestamptz NOT NULL DEFAULT pg_catalog.statement_timestamp(),
    nesting_depth smallint NOT NULL DEFAULT 0,
    -- By default the row's own id: the identity above is drawn first, as columns are filled in order.
    statement_order bigint NOT NULL DEFAULT pg_catalog.currval('chronicle.table_event_log_id_seq'::pg_catalog.regclass),
    enclosing_stamps bigint[]
);
-- Events are appended in roughly transaction order, so BRIN finds a transaction's events at a
-- fraction of the write cost of a btree, which single-row transactions would pay on every statement.
CREATE INDEX table_event_log_transaction_idx ON chronicle.table_event_log USING brin (transaction_id);
-- Only statements run by triggers (cascades, application triggers) are indexed: a statement that
-- ran them finds their events here when it logs its own (chronicle.log_event).
CREATE INDEX table_event_log_nested_idx ON chronicle.table_event_log (transaction_id) WHERE nesting_depth > 1;

-- Statement stamps, one sequence per trigger nesting depth up to 7:
-- chronicle.stamp_statement() draws one when an audited statement starts, so currval() of the
-- sequence of a depth names the audited statement running at that depth in this session. No role
-- but the extension's functions can draw from them, so the stamps cannot be forged.
CREATE SEQUENCE chronicle.statement_stamp_1;
CREATE SEQUENCE chronicle.statement_stamp_2;
CREATE SEQUENCE chronicle.statement_stamp_3;
CREATE SEQUENCE chronicle.statement_stamp_4;
CREATE SEQUENCE chronicle.statement_stamp_5;
CREATE SEQUENCE chronicle.statement_stamp_6;
CREATE SEQUENCE chronicle.statement_stamp_7;

COMMENT ON TABLE chronicle.table_event_log IS 'One row per statement and audited table that changed rows.';
COMMENT ON COLUMN chronicle.table_event_log.id IS 'Event id, increasing in the order statements finished.';
COMMENT ON COLUMN chronicle.table_event_log.transaction_id IS 'transaction_log id of the transaction.';
COMMENT ON COLUMN chronicle.table_event_log.table_id IS 'audit_table_log.table_id of the table.';
COMMENT ON COLUMN chronicle.table_event_log.operation IS
    'INSERT, UPDATE, DELETE, TRUNCATE, or BASELINE (the rows the table held when log_table_baseline ran).';
COMMENT ON COLUMN chronicle.table_event_log.statement_at IS 'statement_timestamp() of the client statement.';
COMMENT ON COLUMN chronicle.table_event_log.nesting_depth IS
    'pg_trigger_depth() of the statement: 1 for a statement the client ran, more for one run by a trigger or a foreign-key cascade, 0 for BASELINE.';
COMMENT ON COLUMN chronicle.table_event_log.statement_order IS
    'Position of the statement''s start within its transaction: its own id, or the smallest statement_order of the '
    'statements nested in it that logged first. A transaction''s events in the order their statements ran: '
    'ORDER BY statement_order, nesting_depth, id.';
COMMENT ON COLUMN chronicle.table_event_log.enclosing_stamps IS
    'Internal, for nested statements: stamps of the audited statements enclosing this one, by depth (chronicle.log_event).';

-- One row per changed row. No id of its own: a statement changes a row at most once, so
-- (event_id, row_key) identifies an entry and event order is the row's change order.
CREATE TABLE chronicle.row_log (
    event_id bigint NOT NULL,
    table_id integer NOT NULL,
    row_key jsonb NOT NULL,
    old_data jsonb,
    new_data jsonb
);
-- Event ids grow with insertion order, so a BRIN index serves per-event and per-transaction
-- reads for a fraction of a btree's size and write cost.
CREATE INDEX row_log_event_idx ON chronicle.row_log USING brin (event_id);
-- The history of one row is found by the hash of its key, then rechecked on row_key itself:
-- an index entry of two integers costs a fraction of a btree on the jsonb key, to write and to
-- store. Look-ups: WHERE table_id = $1 AND pg_catalog.jsonb_hash(row_key) = pg_catalog.jsonb_hash($2)
-- AND row_key = $2.
CREATE INDEX row_log_row_key_idx ON chronicle.row_log (table_id, pg_catalog.jsonb_hash(row_key));

COMMENT ON TABLE chronicle.row_log IS 'One row per changed row of an audited table.';
COMMENT ON COLUMN chronicle.row_log.event_id IS 'table_event_log id of the statement.';
COMMENT ON COLUMN chronicle.row_log.table_id IS 'audit_table_log.table_id of the table.';
COMMENT ON COLUMN chronicle.row_log.row_key IS
    'Key of the row after the change as a JSON object, e.g. {"id": 42}; for DELETE and TRUNCATE the key of the removed row.';
COMMENT ON COLUMN chronicle.row_log.old_data IS
    'UPDATE: old values of the changed columns (an UPDATE that changes the key always records the old key here). '
    'DELETE, TRUNCATE: the whole row. NULL for INSERT and BASELINE, or when old data is not logged.';
COMMENT ON COLUMN chronicle.row_log.new_data IS
    'Only when new data is logged: INSERT, the whole row; UPDATE, new values of the changed columns. '
    'BASELINE: always the whole row.';

SELECT pg_catalog.pg_extension_config_dump('chronicle.audit_table_log', '');
SELECT pg_catalog.pg_extension_config_dump('chronicle.audit_table_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('chronicle.audit_column_log', '');
SELECT pg_catalog.pg_extension_config_dump('chronicle.audit_column_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('chronicle.table_event_log', '');
SELECT pg_catalog.pg_extension_config_dump('chronicle.table_event_log_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('chronicle.row_log', '');

-- Cluster-wide roles, shared by every database that installs the extension: created when missing.
-- Another database may be creating them at the same moment: the loser of that race sees a
-- unique violation, and then uses the roles the winner made.
DO $roles$
BEGIN
    BEGIN
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'chronicle_viewer') THEN
            CREATE ROLE chronicle_viewer NOLOGIN;
        END IF;
    EXCEPTION WHEN unique_violation OR duplicate_object THEN
        NULL;
    END;
    BEGIN
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'chronicle_admin') THEN
            CREATE ROLE chronicle_admin NOLOGIN;
        END IF;
    EXCEPTION WHEN unique_violation OR duplicate_object THEN
        NULL;
    END;
    BEGIN
        IF NOT pg_catalog.pg_has_role('chronicle_admin', 'chronicle_viewer', 'MEMBER') THEN
            GRANT chronicle_viewer TO chronicle_admin;
        END IF;
    EXCEPTION WHEN unique_violation OR duplicate_object THEN
        NULL;
    END;
END
$roles$;

-- ==== DDL capture (issue 4) ====
-- Kept together (ALTERs of the tables above) so that work on the tables above merges cleanly.

-- DDL events: one per change of an audited table's structure (their operations are values of
-- chronicle.event_operation, above); 'DDL PRE-IMAGE' is transient (the values a DDL statement may
-- destroy, logged when it starts; turned into the DDL event or deleted when it ends, so no
-- committed log holds one).
ALTER TABLE chronicle.table_event_log ADD COLUMN ddl jsonb;
COMMENT ON COLUMN chronicle.table_event_log.operation IS
    'INSERT, UPDATE, DELETE, TRUNCATE, BASELINE (the rows the table held when log_table_baseline ran), '
    'or a DDL operation (see docs/ddl.md).';
COMMENT ON COLUMN chronicle.table_event_log.ddl IS
    'DDL events only: what changed, e.g. {"column": "c", "attnum": 3, "old_type": "integer", "new_type": "bigint"}; NULL for DML.';

-- Several versions can start and end inside one transaction (DML, DDL, DML): the DDL event that
-- started and ended a version places every event of that transaction in exactly one version.
ALTER TABLE chronicle.audit_table_log
    ADD COLUMN valid_from_event bigint,
    ADD COLUMN valid_until_event bigint;
ALTER TABLE chronicle.audit_column_log
    ADD COLUMN valid_from_event bigint,
    ADD COLUMN valid_until_event bigint;
COMMENT ON COLUMN chronicle.audit_table_log.valid_from_event IS
    'table_event_log id of the DDL event that created this version; NULL when an audit function created it.';
COMMENT ON COLUMN chronicle.audit_table_log.valid_until_event IS
    'table_event_log id of the DDL event that ended this version; NULL when current or ended by an audit function.';
COMMENT ON COLUMN chronicle.audit_column_log.valid_from_event IS
    'table_event_log id of the DDL event that created this column version; NULL when an audit function created it.';
COMMENT ON COLUMN chronicle.audit_column_log.valid_until_event IS
    'table_event_log id of the DDL event that ended this column version; NULL when current or ended by an audit function.';

-- Schemas whose new tables are audited when they are created (create_schema_audit(...,
-- auto_audit_new_tables => true)).
CREATE TABLE chronicle.auto_audit_schema (
    schema_name name PRIMARY KEY,
    log_old_data boolean NOT NULL,
    log_new_data boolean NOT NULL,
    except_tables name[] NOT NULL,
    pending_tables name[] NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE chronicle.auto_audit_schema IS
    'Schemas whose tables are audited as they are created, with the options they get.';
COMMENT ON COLUMN chronicle.auto_audit_schema.schema_name IS 'The schema.';
COMMENT ON COLUMN chronicle.auto_audit_schema.log_old_data IS 'log_old_data of the tables audited automatically.';
COMMENT ON COLUMN chronicle.auto_audit_schema.log_new_data IS 'log_new_data of the tables audited automatically.';
COMMENT ON COLUMN chronicle.auto_audit_schema.except_tables IS 'Tables never audited automatically.';
COMMENT ON COLUMN chronicle.auto_audit_schema.pending_tables IS
    'Tables created without a row key: audited when they get one (only these, so that restoring a dump never audits a table twice).';
SELECT pg_catalog.pg_extension_config_dump('chronicle.auto_audit_schema', '');

-- ==== Revert (issue 6) ====

-- Which transactions each revert reverted (chronicle.revert_transactions). Written only by the
-- revert itself, so a transaction counts as reverted only by a real revert, never by an
-- annotation a role could set in chronicle.session_info (the revert also records the ids there,
-- as {"chronicle_reverted": [...]}, for readers of transaction_log).
CREATE TABLE chronicle.revert_log (
    reverted_transaction_id bigint NOT NULL,
    revert_transaction_id bigint NOT NULL,
    CONSTRAINT revert_log_pkey PRIMARY KEY (reverted_transaction_id, revert_transaction_id)
);
CREATE INDEX revert_log_revert_idx ON chronicle.revert_log (revert_transaction_id);

COMMENT ON TABLE chronicle.revert_log IS
    'One row per transaction reverted by chronicle.revert_transactions, and the transaction that reverted it.';
COMMENT ON COLUMN chronicle.revert_log.reverted_transaction_id IS 'transaction_log id of the reverted transaction.';
COMMENT ON COLUMN chronicle.revert_log.revert_transaction_id IS 'transaction_log id of the transaction that reverted it.';

SELECT pg_catalog.pg_extension_config_dump('chronicle.revert_log', '');

-- ==== migration step 0.3.0
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

-- ==== functions (src/sql/functions/capture/capture_function_definition.sql)
-- Renders the body (prosrc) of the capture trigger function of one audited table from its
-- current audit_table_log version and the table's columns: static SQL per table, so a statement
-- costs one set-based INSERT into the log and no catalog look-up or dynamic SQL (except TRUNCATE,
-- see below). Identifiers appear only quoted (format's %I and %L); the one in a comment has its
-- line breaks replaced, since a line break would end the comment and make the rest of the name
-- code of a SECURITY DEFINER function.
--
-- The same function serves the table and, for a partitioned table, every partition: all have
-- the same column names, and each fires only for statements that target it.
CREATE FUNCTION chronicle.capture_function_source(table_id bigint, relation regclass)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_version chronicle.audit_table_log;
    v_key_types oid[];    -- of the key columns, in key order
    v_key_new text;       -- key object built from the NEW transition row n
    v_key_old text;       -- key object built from the OLD transition row o
    v_key_paired_new text;  -- key object from the positional columns of n (UPDATE)
    v_key_paired_old text;
    v_whole_new text;
    v_whole_old text;
    v_whole_table text;
    v_source_new text := '';   -- the FROM item each whole row reads (capture_whole_row_source)
    v_source_old text := '';
    v_source_table text := '';
    v_key_table text;
    v_old_diff text;
    v_new_diff text;
    v_key_changed text := '';
    v_old_row_columns text := 'r';
    v_update_old_data text;
    v_update_new_data text;
    v_unlogged name[];    -- excluded columns, and virtual generated columns (PostgreSQL 18)
    v_logged_differs text;
    v_column_select text; -- the columns of a transition table, by name, in the audited table's order
    v_update_head text;
    v_update_tail text;
    v_single_pair_tail text;
BEGIN
    SELECT * INTO v_version
    FROM chronicle.audit_table_log AS t
    WHERE t.table_id = capture_function_source.table_id AND t.valid_until IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table id % is not audited', table_id USING ERRCODE = '42P01';
    END IF;

    v_unlogged := chronicle.capture_unlogged_columns(relation, v_version.excluded_columns);

    -- the key objects by column name (INSERT, DELETE, TRUNCATE); UPDATE's by position, below,
    -- from the key columns' types
    v_key_new := chronicle.capture_key_expression(relation, v_version.key_columns, 'n');
    v_key_old := chronicle.capture_key_expression(relation, v_version.key_columns, 'o');
    v_key_table := chronicle.capture_key_expression(relation, v_version.key_columns, 't');
    SELECT pg_catalog.array_agg(a.atttypid ORDER BY k.ord) INTO v_key_types
    FROM pg_catalog.unnest(v_version.key_columns) WITH ORDINALITY AS k(name, ord)
    LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = relation AND a.attname = k.name AND a.attnum > 0 AND NOT a.attisdropped;

    -- UPDATE reads both transition tables with positional column names c1..cN, so no user
    -- column name can clash with the row number r that pairs them.
    WITH columns AS (
        SELECT a.attname, a.atttypid,
               pg_catalog.row_number() OVER (ORDER BY a.attnum) AS alias_order,
               a.attname = ANY (v_version.key_columns) AS is_key,
               a.attname = ANY (v_unlogged) AS is_excluded,
               -- Types whose "=" holds only for identical values may use IS DISTINCT FROM; numeric
               -- adds its scale (below); any other type (jsonb, citext, json, point, domains, ...)
               -- is compared by its binary image, which also needs no equality operator and no
               -- search_path.
               (a.atttypid IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype,
                               'pg_catalog.int8'::pg_catalog.regtype, 'pg_catalog.bool'::pg_catalog.regtype,
                               'pg_catalog.date'::pg_catalog.regtype, 'pg_catalog.timestamp'::pg_catalog.regtype,
                               'pg_catalog.timestamptz'::pg_catalog.regtype, 'pg_catalog.uuid'::pg_catalog.regtype,
                               'pg_catalog.bytea'::pg_catalog.regtype, 'pg_catalog.oid'::pg_catalog.regtype)
                OR (a.atttypid IN ('pg_catalog.text'::pg_catalog.regtype, 'pg_catalog.varchar'::pg_catalog.regtype)
                    AND EXISTS (SELECT FROM pg_catalog.pg_collation AS c
                                WHERE c.oid = a.attcollation AND c.collisdeterministic))) AS exact_equality
        FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped
    ), rendered AS (
        SELECT c.*, 'c' || c.alias_order AS alias,
               CASE WHEN c.exact_equality
                    THEN pg_catalog.format('o.c%s IS DISTINCT FROM n.c%s', c.alias_order, c.alias_order)
                    -- a numeric is its value and its scale (1.5 = 1.50): both compared cost half the
                    -- binary image, which builds a record of each side first
                    WHEN c.atttypid = 'pg_catalog.numeric'::pg_catalog.regtype
                    THEN pg_catalog.format('(o.c%1$s IS DISTINCT FROM n.c%1$s OR pg_catalog.scale(o.c%1$s) IS DISTINCT FROM pg_catalog.scale(n.c%1$s))',
                                           c.alias_order)
                    ELSE pg_catalog.format('(ROW(o.c%s)::record) *<> (ROW(n.c%s)::record)', c.alias_order, c.alias_order)
               END AS differs
        FROM columns AS c
    )
    SELECT 'r, ' || pg_catalog.string_agg(r.alias, ', ' ORDER BY r.alias_order),
           chronicle.capture_concatenation(pg_catalog.array_agg(pg_catalog.format('CASE WHEN %s THEN pg_catalog.jsonb_build_object(%L, %s) ELSE ''{}''::jsonb END', r.differs, r.attname,
                                                   chronicle.capture_object_value(r.atttypid, 'o.' || r.alias)) ORDER BY chronicle.capture_key_rank(r.attname)) FILTER (WHERE NOT r.is_excluded)),
           chronicle.capture_concatenation(pg_catalog.array_agg(pg_catalog.format('CASE WHEN %s THEN pg_catalog.jsonb_build_object(%L, %s) ELSE ''{}''::jsonb END', r.differs, r.attname,
                                                   chronicle.capture_object_value(r.atttypid, 'n.' || r.alias)) ORDER BY chronicle.capture_key_rank(r.attname)) FILTER (WHERE NOT r.is_excluded)),
           pg_catalog.string_agg(r.differs, ' OR ' ORDER BY r.alias_order) FILTER (WHERE r.is_key),
           pg_catalog.string_agg(r.differs, E'\n               OR ' ORDER BY r.alias_order) FILTER (WHERE NOT r.is_excluded),
           chronicle.capture_key_object(v_version.key_columns, v_key_types,
                                        pg_catalog.array_agg('n.' || r.alias ORDER BY r.key_order) FILTER (WHERE r.is_key)),
           chronicle.capture_key_object(v_version.key_columns, v_key_types,
                                        pg_catalog.array_agg('o.' || r.alias ORDER BY r.key_order) FILTER (WHERE r.is_key)),
           pg_catalog.string_agg(pg_catalog.format('t.%I', r.attname), ', ' ORDER BY r.alias_order)
    INTO v_old_row_columns, v_old_diff, v_new_diff, v_key_changed, v_logged_differs, v_key_paired_new, v_key_paired_old, v_column_select
    FROM (SELECT rd.*,
                 pg_catalog.array_position(v_version.key_columns, rd.attname) AS key_order
          FROM rendered AS rd) AS r;

    -- (every column's CASE is an object, so they concatenate without a '{}' to start from; in
    -- the order jsonb keeps keys, and as a tree, they need no sorting and no quadratic copying)
    IF v_version.log_old_data THEN
        v_update_old_data := coalesce(v_old_diff, '''{}''::jsonb');
    ELSE
        -- Without old data, an UPDATE that moves a row to another key still records the old key:
        -- nothing else could find the row's earlier identity.
        v_update_old_data := pg_catalog.format('CASE WHEN %s THEN %s END', v_key_changed, v_key_paired_old);
    END IF;
    v_update_new_data := CASE WHEN v_version.log_new_data THEN coalesce(v_new_diff, '''{}''::jsonb') ELSE 'NULL::jsonb' END;

    -- Rows are kept when a logged column differs (a change to excluded columns only is not
    -- logged): the per-column tests stop at the first difference, where comparing whole rows
    -- would build both rows as records first (about 1 µs a row).
    -- Whole rows: to_jsonb of the row's logged columns, corrected for the values it would not
    -- log exactly.
    v_whole_new := 'NULL::jsonb';
    v_whole_old := 'NULL::jsonb';
    v_whole_table := 'NULL::jsonb';
    IF v_version.log_new_data THEN
        v_whole_new := chronicle.capture_whole_row(relation, 'n', v_version.excluded_columns);
        v_source_new := chronicle.capture_whole_row_source(relation, 'n', v_version.excluded_columns);
    END IF;
    IF v_version.log_old_data THEN
        v_whole_old := chronicle.capture_whole_row(relation, 'o', v_version.excluded_columns);
        v_source_old := chronicle.capture_whole_row_source(relation, 'o', v_version.excluded_columns);
        -- (the TRUNCATE statement is a format() string itself, run with the relation as argument:
        -- a % in a column name must be doubled, here and in the key)
        v_whole_table := pg_catalog.replace(chronicle.capture_whole_row(relation, 't', v_version.excluded_columns), '%', '%%');
        v_source_table := pg_catalog.replace(chronicle.capture_whole_row_source(relation, 't', v_version.excluded_columns), '%', '%%');
    END IF;

    -- The UPDATE statement around its pairing of old and new rows (FROM ... below). The changes
    -- are a subquery, not a CTE: a CTE read twice (for the event, then for the entries) would be
    -- stored whole first, on disk beyond work_mem. (The call that fails an unpaired row is
    -- volatile, so PostgreSQL keeps that column although nothing reads it.)
    v_update_head := pg_catalog.format($update$INSERT INTO chronicle.row_log (event_id, table_id, row_key, old_data, new_data)
            SELECT (SELECT chronicle.log_event(%1$s, 'UPDATE')), %1$s, c.row_key, c.old_data, c.new_data
            FROM (
                SELECT CASE WHEN o.r IS NULL OR n.r IS NULL THEN chronicle.raise_unpaired_update(%1$s) END AS unpaired,
                       %2$s AS row_key,
                       %3$s AS old_data,
                       %4$s AS new_data
                FROM $update$, table_id, v_key_paired_new, v_update_old_data, v_update_new_data);
    v_update_tail := pg_catalog.format($update$
                WHERE o.r IS NULL OR n.r IS NULL OR %1$s
            ) AS c;$update$, v_logged_differs);
    -- A single pair keeps its row when the logged diff is not empty, which is the same test: the
    -- diff holds exactly the logged columns that differ. Setting up the expressions of the tests
    -- a second time would cost a single-row statement more than running them (about 30,000
    -- instructions for eight columns); OFFSET 0 keeps PostgreSQL from copying the diff into the
    -- WHERE clause. Many pairs keep the tests before the diff: they stop at the first difference.
    -- Without old data the diff is the new data's, and without either there is none to test.
    v_single_pair_tail := CASE
        WHEN v_version.log_old_data OR v_version.log_new_data THEN pg_catalog.format($update$
                OFFSET 0
            ) AS c
            WHERE c.%1$s OPERATOR(pg_catalog.<>) '{}'::jsonb;$update$, CASE WHEN v_version.log_old_data THEN 'old_data' ELSE 'new_data' END)
        ELSE v_update_tail
    END;

    RETURN pg_catalog.format($template$
-- Generated by chronicle for %1$s (table id %2$s): regenerated whenever the table or its
-- audit options change. Do not edit.
--
-- Values are logged as to_jsonb writes them, which for floats, intervals, ranges, money and the
-- text forms above goes through the type's output function: where the table has such a column,
-- the settings that change that output are fixed (above), so what is logged never depends on
-- the session that wrote it and always reads back exactly (extra_float_digits > 0: shortest
-- exact floats).
--
-- Each statement logs its event through an uncorrelated subquery, which PostgreSQL runs once,
-- when the first entry is written: a statement that changed no logged row logs no event.
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO chronicle.row_log (event_id, table_id, row_key, old_data, new_data)
        SELECT (SELECT chronicle.log_event(%2$s, 'INSERT')), %2$s, %3$s, NULL, %5$s
        FROM new_rows AS n%10$s;
    ELSIF TG_OP = 'UPDATE' THEN
        -- PostgreSQL writes the OLD and NEW transition tables in step, one pair per updated row,
        -- so rows pair by position even when the update changes their key. Their columns are
        -- taken by name: a partition's own columns may be in another order than the table's.
        -- A single pair needs no numbering and no join: setting those up costs more than the rest
        -- of a single-row statement's logging.
        IF EXISTS (SELECT FROM old_rows) AND NOT EXISTS (SELECT FROM old_rows OFFSET 1)
           AND EXISTS (SELECT FROM new_rows) AND NOT EXISTS (SELECT FROM new_rows OFFSET 1) THEN
            %7$s
        ELSE
            %8$s
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO chronicle.row_log (event_id, table_id, row_key, old_data, new_data)
        SELECT (SELECT chronicle.log_event(%2$s, 'DELETE')), %2$s, %4$s, %6$s, NULL
        FROM old_rows AS o%11$s;
    ELSE
        -- BEFORE TRUNCATE: log the rows about to go. ONLY, because truncating a partitioned
        -- table fires this trigger on each partition too, and each logs its own rows. The
        -- relation is the one the trigger fires on, so this is the one dynamic statement.
        EXECUTE pg_catalog.format(%9$L, pg_catalog.quote_ident(TG_TABLE_SCHEMA) || '.' || pg_catalog.quote_ident(TG_TABLE_NAME));
    END IF;
    RETURN NULL;
END
$template$,
        pg_catalog.translate(pg_catalog.format('%I.%I', v_version.schema_name, v_version.table_name), E'\r\n', '  '), table_id,
        v_key_new, v_key_old, v_whole_new, v_whole_old,
        v_update_head || pg_catalog.format('(SELECT 1, %1$s FROM old_rows AS t) AS o(%2$s)
                CROSS JOIN (SELECT 1, %1$s FROM new_rows AS t) AS n(%2$s)', v_column_select, v_old_row_columns) || v_single_pair_tail,
        v_update_head || pg_catalog.format('(SELECT pg_catalog.row_number() OVER (), %1$s FROM old_rows AS t) AS o(%2$s)
                FULL JOIN (SELECT pg_catalog.row_number() OVER (), %1$s FROM new_rows AS t) AS n(%2$s) ON o.r = n.r', v_column_select, v_old_row_columns) || v_update_tail,
        pg_catalog.format($truncate$
        INSERT INTO chronicle.row_log (event_id, table_id, row_key, old_data, new_data)
        SELECT (SELECT chronicle.log_event(%1$s, 'TRUNCATE')), %1$s, %2$s, %3$s, NULL
        FROM ONLY %%1$s AS t%4$s$truncate$, table_id, pg_catalog.replace(v_key_table, '%', '%%'), v_whole_table, v_source_table),
        v_source_new, v_source_old);
END
$function$;

COMMENT ON FUNCTION chronicle.capture_function_source(bigint, regclass) IS
    'Internal: the body of the capture trigger function of an audited table, as pg_proc.prosrc holds it.';

-- The CREATE FUNCTION statement around that body. Its dollar quotes take a tag the body does not
-- hold (a column may be named "$capture$"), so the body can never end the quotes early.
CREATE FUNCTION chronicle.capture_function_definition(table_id bigint, relation regclass)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_body text := chronicle.capture_function_source(table_id, relation);
    v_tag text := '$capture$';
    v_settings text := '';
BEGIN
    -- the output settings that values of the table's columns may follow (capture_type_follows_settings)
    IF EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
               WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped
                 AND chronicle.capture_type_follows_settings(a.atttypid)) THEN
        v_settings := $settings$
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'$settings$;
    END IF;
    -- (the tag is searched in the body followed by the tag itself: a body ending in "$capture"
    -- would close "$capture$" early too)
    WHILE pg_catalog.strpos(v_body || v_tag, v_tag) <= pg_catalog.length(v_body) LOOP
        v_tag := pg_catalog.rtrim(v_tag, '$') || '_$';
    END LOOP;
    RETURN pg_catalog.format($template$
CREATE OR REPLACE FUNCTION chronicle.%1$I()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp%4$s
AS %2$s%3$s%2$s
$template$, 'capture_' || table_id, v_tag, v_body, v_settings);
END
$function$;

COMMENT ON FUNCTION chronicle.capture_function_definition(bigint, regclass) IS
    'Internal: the CREATE FUNCTION statement of the capture trigger function of an audited table.';

-- ==== functions (src/sql/functions/capture/capture_value.sql)
-- Values are logged as to_jsonb writes them, so that jsonb_populate_record reads them back. For
-- a few values that is not exact: to_jsonb writes float -0 as 0, drops the lower bounds of an
-- array ('[0:1]={5,6}' becomes [5, 6]), and so loses both inside arrays and composites. Such a
-- value is logged as its text form instead, a JSON string, which jsonb_populate_record also
-- reads back (through the type's input function), exactly.
--
-- These functions are used when a capture function is generated: they decide, per column type,
-- whether a value may need that, and render the test. Types that never need it cost nothing.

-- The type a type's values are logged as: the type itself, or for a domain (over domains) the
-- type it is built on; with what tells arrays (typlen -1 and an element type) and composites
-- (typtype 'c', typrelid) apart. NULL base for an unknown type.
CREATE FUNCTION chronicle.capture_base_type(value_type oid, OUT base oid, OUT typtype "char", OUT typlen smallint,
                                                       OUT typelem oid, OUT typrelid oid)
RETURNS record
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_next oid := value_type;
BEGIN
    LOOP
        SELECT t.oid, t.typtype, t.typlen, t.typelem, t.typrelid, t.typbasetype
        INTO base, typtype, typlen, typelem, typrelid, v_next
        FROM pg_catalog.pg_type AS t WHERE t.oid = v_next;
        EXIT WHEN NOT FOUND OR typtype <> 'd';
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.capture_base_type(oid) IS
    'Internal, for generating capture functions: the base type of a type (itself, or what a domain is built on), with its kind.';

-- Whether to_jsonb may lose something of a value of this type: float4 and float8 (-0), every
-- array (lower bounds), and composites with such a field; domains as their base type.
CREATE FUNCTION chronicle.capture_type_may_lose(value_type oid)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_type record := chronicle.capture_base_type(value_type);
BEGIN
    IF v_type.base IN ('pg_catalog.float4'::pg_catalog.regtype, 'pg_catalog.float8'::pg_catalog.regtype) THEN
        RETURN true;
    END IF;
    IF v_type.typtype = 'b' AND v_type.typlen = -1 AND v_type.typelem <> 0 THEN
        RETURN true;
    END IF;
    IF v_type.typtype = 'c' THEN
        RETURN EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
                       WHERE a.attrelid = v_type.typrelid AND a.attnum > 0 AND NOT a.attisdropped
                         AND chronicle.capture_type_may_lose(a.atttypid));
    END IF;
    RETURN false;
END
$function$;

COMMENT ON FUNCTION chronicle.capture_type_may_lose(oid) IS
    'Internal, for generating capture functions: whether to_jsonb may lose part of a value of this type (float -0, array lower bounds).';

-- Whether to_jsonb of a value of this type may call a function some role wrote: for a type that
-- is not built in (an enum, a range, a type of an extension), to_jsonb uses a cast to json where
-- one exists, and the type's owner may create one at any time, with any function. The capture runs
-- as chronicle's owner, a superuser: such a function would run with its rights. So values of
-- these types, and arrays and composites holding them, are logged as their text form, written by
-- the type's output function (built in, or in C, which only a superuser installs), never by to_jsonb
-- or a cast. For enums and ranges the text form is what to_jsonb writes anyway. Domains as their
-- base type.
CREATE FUNCTION chronicle.capture_type_is_user_defined(value_type oid)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_type record := chronicle.capture_base_type(value_type);
BEGIN
    IF v_type.base IS NULL THEN
        RETURN false;
    END IF;
    IF v_type.typtype = 'b' AND v_type.typlen = -1 AND v_type.typelem <> 0 THEN
        RETURN chronicle.capture_type_is_user_defined(v_type.typelem);
    END IF;
    IF v_type.typtype = 'c' THEN
        RETURN EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
                       WHERE a.attrelid = v_type.typrelid AND a.attnum > 0 AND NOT a.attisdropped
                         AND chronicle.capture_type_is_user_defined(a.atttypid));
    END IF;
    -- (16384: FirstNormalObjectId, the first oid not assigned when the server was built)
    RETURN v_type.base >= 16384;
END
$function$;

COMMENT ON FUNCTION chronicle.capture_type_is_user_defined(oid) IS
    'Internal, for generating capture functions: whether to_jsonb of the type may call a cast some role wrote (values are then logged as their text form).';

-- The text of the SQL expression value, written by its type's output function: format's %s
-- calls it directly, where a cast to text could be one a role created for its own type. The one
-- spelling of every text form the log holds; for a NULL value it gives '' (see capture_text_form).
CREATE FUNCTION chronicle.capture_output_text(value text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.format('pg_catalog.format(''%%s'', %s)', value)
$function$;

COMMENT ON FUNCTION chronicle.capture_output_text(text) IS
    'Internal, for generating capture SQL: the text of a value by its type''s output function (never a cast).';

-- The text form of the SQL expression value (capture_output_text), NULL for NULL.
CREATE FUNCTION chronicle.capture_text_form(value text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.format('CASE WHEN pg_catalog.num_nulls(%s) OPERATOR(pg_catalog.=) 0 THEN %s END', value, chronicle.capture_output_text(value))
$function$;

COMMENT ON FUNCTION chronicle.capture_text_form(text) IS
    'Internal, for generating capture SQL: the text form of a value by its type''s output function (never a cast), NULL for NULL.';

-- The SQL condition, on the SQL expression value of the given type, that is true when to_jsonb
-- would lose part of the value, so that it must be logged as its text form; NULL when to_jsonb
-- never loses anything of that type. A value of a user-defined type is always logged as its text
-- form (capture_type_is_user_defined): the condition is that it is not NULL.
CREATE FUNCTION chronicle.capture_lossy_condition(value_type oid, value text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_type record := chronicle.capture_base_type(value_type);
    -- In the text form of an array or composite: a float -0 between delimiters, or the
    -- dimensions of an array whose lower bounds are not all 1 ("[0:1]={...}"). A text field
    -- that looks the same only makes a value be logged as text, which is exact too.
    v_text_pattern constant text := '(^|[{(,])-0($|[,)}])|\]=';
BEGIN
    IF chronicle.capture_type_is_user_defined(value_type) THEN
        RETURN pg_catalog.format('pg_catalog.num_nulls(%s) OPERATOR(pg_catalog.=) 0', value);
    END IF;
    IF NOT chronicle.capture_type_may_lose(value_type) THEN
        RETURN NULL;
    END IF;
    IF v_type.base IN ('pg_catalog.float4'::pg_catalog.regtype, 'pg_catalog.float8'::pg_catalog.regtype) THEN
        -- -0 is the one float whose binary image is the sign bit alone
        RETURN pg_catalog.format('pg_catalog.float8send((%s)::pg_catalog.float8) OPERATOR(pg_catalog.=) %L::pg_catalog.bytea',
                                 value, '\x8000000000000000');
    END IF;
    IF v_type.typtype = 'b' AND NOT chronicle.capture_type_may_lose(v_type.typelem) THEN
        -- an array of exact elements: only its bounds matter, read from its (short) dimensions
        RETURN pg_catalog.format('pg_catalog.strpos(pg_catalog.replace(pg_catalog.array_dims(%s), %L, %L), %L) OPERATOR(pg_catalog.>) 0',
                                 value, '[1:', '', '[');
    END IF;
    RETURN pg_catalog.format('(%s OPERATOR(pg_catalog.~) %L)', chronicle.capture_output_text(value), v_text_pattern);
END
$function$;

COMMENT ON FUNCTION chronicle.capture_lossy_condition(oid, text) IS
    'Internal, for generating capture functions: the condition under which a value of the type must be logged as its text form; NULL if never.';

-- The jsonb of the SQL expression value of the given type as it is logged: to_jsonb's form, or
-- the text form when to_jsonb would lose part of the value.
CREATE FUNCTION chronicle.capture_value_expression(value_type oid, value text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT CASE WHEN c.condition IS NULL THEN pg_catalog.format('pg_catalog.to_jsonb(%s)', value)
                ELSE pg_catalog.format('CASE WHEN %s THEN pg_catalog.to_jsonb(%s) ELSE pg_catalog.to_jsonb(%s) END',
                                       c.condition, chronicle.capture_output_text(value), value)
           END
    FROM (SELECT chronicle.capture_lossy_condition(value_type, value) AS condition) AS c
$function$;

COMMENT ON FUNCTION chronicle.capture_value_expression(oid, text) IS
    'Internal, for generating capture functions: the jsonb expression that logs a value of the type exactly.';

-- The same value as an argument of jsonb_build_object, which converts its arguments exactly as
-- to_jsonb does: the value itself where to_jsonb logs it exactly, which saves converting it
-- twice (about a third of the cost of a one-column entry), else capture_value_expression.
CREATE FUNCTION chronicle.capture_object_value(value_type oid, value text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT CASE WHEN chronicle.capture_lossy_condition(value_type, value) IS NULL THEN value
                ELSE chronicle.capture_value_expression(value_type, value)
           END
$function$;

COMMENT ON FUNCTION chronicle.capture_object_value(oid, text) IS
    'Internal, for generating capture functions: the jsonb_build_object argument that logs a value of the type exactly.';

-- The place of an object key in the order jsonb keeps keys: shorter keys first, then by their
-- bytes. jsonb sorts the keys of every object it builds; keys handed over in that order cost one
-- pass, where keys in another order are sorted and moved for every object (a fifth of to_jsonb's
-- cost for a row of 8 columns, more for wide rows). Used to order the generated SQL.
CREATE FUNCTION chronicle.capture_key_rank(key name)
RETURNS bytea
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.int4send(pg_catalog.octet_length(key::text))
           || pg_catalog.convert_to(key::text, pg_catalog.getdatabaseencoding())
$function$;

COMMENT ON FUNCTION chronicle.capture_key_rank(name) IS
    'Internal, for generating capture SQL: the sort key of an object key in the order jsonb keeps keys.';

-- The jsonb objects of the given expressions concatenated (||) as a balanced tree, NULL for none.
-- Concatenating copies both operands, so a chain a || b || c ... copies what it has built so far
-- at every step: quadratic in the number of non-empty parts (an UPDATE that changes all 300
-- columns of a wide row copied 45,000 values per row). A balanced tree copies each value once per
-- level. The result is the same object: the parts have distinct keys, and a part that is '{}'
-- costs next to nothing either way.
CREATE FUNCTION chronicle.capture_concatenation(parts text[])
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_level text[] := parts;
    v_next text[];
BEGIN
    WHILE pg_catalog.cardinality(v_level) > 1 LOOP
        v_next := '{}';
        FOR i IN 1 .. pg_catalog.cardinality(v_level) BY 2 LOOP
            v_next := v_next || CASE WHEN i = pg_catalog.cardinality(v_level) THEN v_level[i]
                                     ELSE '(' || v_level[i] || E'\n            || ' || v_level[i + 1] || ')' END;
        END LOOP;
        v_level := v_next;
    END LOOP;
    RETURN v_level[1];
END
$function$;

COMMENT ON FUNCTION chronicle.capture_concatenation(text[]) IS
    'Internal, for generating capture functions: jsonb expressions concatenated as a balanced tree.';

-- The corrections to to_jsonb(row_alias.*) for the given columns of a relation: for each column
-- whose values to_jsonb may lose part of, "|| CASE WHEN <lossy> THEN {column: text form} ELSE
-- {} END", concatenated as a balanced tree (capture_concatenation) so the row is copied once.
-- Empty when no column needs one, so whole rows of other tables are logged as before.
-- One correction: the column as its text form when the condition holds (capture_lossy_condition),
-- else nothing; concatenated to to_jsonb of a row. Used here and by time travel's row forms.
CREATE FUNCTION chronicle.capture_text_correction(column_name name, condition text, value text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.format('CASE WHEN %s THEN pg_catalog.jsonb_build_object(%L, pg_catalog.to_jsonb(%s)) ELSE ''{}''::pg_catalog.jsonb END',
                             condition, column_name, chronicle.capture_output_text(value))
$function$;

COMMENT ON FUNCTION chronicle.capture_text_correction(name, text, text) IS
    'Internal, for generating capture SQL: a correction to to_jsonb(row) that logs one column as its text form when the condition holds.';

CREATE FUNCTION chronicle.capture_row_corrections(relation regclass, row_alias text, excluded_columns name[])
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT coalesce(E'\n            || ' || chronicle.capture_concatenation(pg_catalog.array_agg(
               chronicle.capture_text_correction(c.attname, c.condition, c.value)
               ORDER BY chronicle.capture_key_rank(c.attname))), '')
    FROM (SELECT a.attnum, a.attname, pg_catalog.format('%s.%I', row_alias, a.attname) AS value,
                 chronicle.capture_lossy_condition(a.atttypid, pg_catalog.format('%s.%I', row_alias, a.attname)) AS condition
          FROM pg_catalog.pg_attribute AS a
          WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped
            AND a.attname <> ALL (excluded_columns)) AS c
    WHERE c.condition IS NOT NULL
$function$;

COMMENT ON FUNCTION chronicle.capture_row_corrections(regclass, text, name[]) IS
    'Internal, for generating capture functions: corrections to to_jsonb(row) for values it would not log exactly.';

-- The columns of a relation that are never logged: the excluded ones, and the virtual generated
-- ones (PostgreSQL 18: computed when read, they hold no data; transition tables hold NULL).
CREATE FUNCTION chronicle.capture_unlogged_columns(relation regclass, excluded_columns name[])
RETURNS name[]
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT excluded_columns || coalesce(pg_catalog.array_agg(a.attname ORDER BY a.attnum), '{}')
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = 'v'
$function$;

COMMENT ON FUNCTION chronicle.capture_unlogged_columns(regclass, name[]) IS
    'Internal, for generating capture statements: the excluded and virtual generated columns of a relation.';

-- The jsonb expression of a whole row of the relation, as it is logged (INSERT, DELETE,
-- TRUNCATE and BASELINE entries): to_jsonb of the row's logged columns, corrected for the values
-- to_jsonb would not log exactly. It reads the row through the FROM item of
-- capture_whole_row_source, which the statement must join after the row (same alias). Values go
-- through output functions: run the expression with the settings the capture functions fix (see
-- capture_function_definition).
CREATE FUNCTION chronicle.capture_whole_row(relation regclass, row_alias text, excluded_columns name[])
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    -- (no corrections for the values of user-defined types: the source has their text forms)
    SELECT pg_catalog.format('(pg_catalog.to_jsonb(%s_logged.*)', row_alias)
           || chronicle.capture_row_corrections(relation, row_alias, chronicle.capture_unlogged_columns(relation, excluded_columns)
                  || ARRAY(SELECT a.attname FROM pg_catalog.pg_attribute AS a
                           WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped
                             AND chronicle.capture_type_is_user_defined(a.atttypid)))
           || ')'
$function$;

COMMENT ON FUNCTION chronicle.capture_whole_row(regclass, text, name[]) IS
    'Internal, for generating capture (and baseline) statements: the jsonb expression of a whole row as it is logged; needs capture_whole_row_source.';

-- The FROM item capture_whole_row reads, to join after the row alias:
-- " CROSS JOIN LATERAL (SELECT o.b, o.id, ...) AS o_logged", the logged columns in the order
-- jsonb keeps an object's keys (capture_key_rank), so to_jsonb of it finds them sorted where
-- to_jsonb(o.*) sorted them for every row. PostgreSQL flattens the subquery into a ROW of the
-- columns that keeps their names, and leaves out the unlogged columns at no cost. Columns of
-- user-defined types are there as their text forms (capture_type_is_user_defined), so that
-- to_jsonb never converts them itself.
CREATE FUNCTION chronicle.capture_whole_row_source(relation regclass, row_alias text, excluded_columns name[])
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.format(' CROSS JOIN LATERAL (SELECT %s) AS %s_logged',
                             pg_catalog.string_agg(CASE WHEN chronicle.capture_type_is_user_defined(a.atttypid)
                                                        THEN pg_catalog.format('%s AS %I', chronicle.capture_text_form(pg_catalog.format('%s.%I', row_alias, a.attname)), a.attname)
                                                        ELSE pg_catalog.format('%s.%I', row_alias, a.attname) END, ', '
                                                   ORDER BY chronicle.capture_key_rank(a.attname)),
                             row_alias)
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname <> ALL (chronicle.capture_unlogged_columns(relation, excluded_columns))
$function$;

COMMENT ON FUNCTION chronicle.capture_whole_row_source(regclass, text, name[]) IS
    'Internal, for generating capture (and baseline) statements: the FROM item that capture_whole_row reads.';

-- The expression of a row's key object (row_key), from each key column's name, type and value
-- expression: the one spelling of row_key for the capture, the baseline and DDL capture. Where
-- every key column is an integer it is built cheaper than by jsonb_build_object, and the same. jsonb_build_object writes an integer by its text
-- form, read back as a JSON number, and looks up how to convert each argument on every call; the
-- object's text parsed once costs a fifth less per row, for every logged row of every bulk
-- statement. Other types keep jsonb_build_object (a numeric may be NaN, which JSON has no number
-- for; text would need escaping).
CREATE FUNCTION chronicle.capture_key_object(key_columns name[], key_types oid[], key_values text[])
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT CASE
        WHEN pg_catalog.bool_and(coalesce(k.type IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype,
                                            'pg_catalog.int8'::pg_catalog.regtype), false))
        THEN '(' || pg_catalog.string_agg(pg_catalog.format('%L || (%s)::pg_catalog.text',
                                                            CASE WHEN k.ord = 1 THEN '{' ELSE ', ' END
                                                            || pg_catalog.to_json(k.name::text)::text || ': ',
                                                            k.value), ' || ' ORDER BY k.ord)
             || ' || ''}'')::pg_catalog.jsonb'
        ELSE 'pg_catalog.jsonb_build_object('
             || pg_catalog.string_agg(pg_catalog.format('%L, %s', k.name,
                                                        CASE WHEN chronicle.capture_type_is_user_defined(k.type) THEN chronicle.capture_text_form(k.value)
                                                             ELSE k.value END), ', ' ORDER BY k.ord) || ')'
    END
    FROM ROWS FROM (pg_catalog.unnest(key_columns), pg_catalog.unnest(key_types), pg_catalog.unnest(key_values))
         WITH ORDINALITY AS k(name, type, value, ord)
$function$;

COMMENT ON FUNCTION chronicle.capture_key_object(name[], oid[], text[]) IS
    'Internal, for generating capture SQL: the expression of a row''s key object from its key columns'' names, types and values.';

-- The same from a row alias of the relation, e.g. t: its key columns by name.
CREATE FUNCTION chronicle.capture_key_expression(relation regclass, key_columns name[], row_alias text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT chronicle.capture_key_object(key_columns, pg_catalog.array_agg(a.atttypid ORDER BY k.ord),
                                        pg_catalog.array_agg(pg_catalog.format('%s.%I', row_alias, k.name) ORDER BY k.ord))
    FROM pg_catalog.unnest(key_columns) WITH ORDINALITY AS k(name, ord)
    LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = relation AND a.attname = k.name AND a.attnum > 0 AND NOT a.attisdropped
$function$;

COMMENT ON FUNCTION chronicle.capture_key_expression(regclass, name[], text) IS
    'Internal, for generating capture SQL: the expression of a row''s key object, from a row alias of the relation.';

-- Whether the logged form of a value of this type may follow the session's output settings
-- (DateStyle, IntervalStyle, extra_float_digits, bytea_output, lc_monetary): a capture function
-- fixes those settings only when its table has such a column, since fixing them costs about
-- 14,000 instructions per statement. Settings-free: to_jsonb writes numbers, booleans, strings,
-- JSON, uuids and enum labels as their settings-free text, and dates and timestamps in ISO 8601
-- whatever DateStyle is (a timestamptz in the session's time zone, with its offset: the same
-- instant). Arrays of those (but of dates and timestamps) too, also where they are logged as
-- their text form (capture_lossy_condition). Anything else, composites included, counts as
-- following the settings. Domains as their base type.
CREATE FUNCTION chronicle.capture_type_follows_settings(value_type oid)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_type record := chronicle.capture_base_type(value_type);
    v_plain constant oid[] := ARRAY['pg_catalog.bool'::pg_catalog.regtype, 'pg_catalog.int2'::pg_catalog.regtype,
        'pg_catalog.int4'::pg_catalog.regtype, 'pg_catalog.int8'::pg_catalog.regtype, 'pg_catalog.numeric'::pg_catalog.regtype,
        'pg_catalog.text'::pg_catalog.regtype, 'pg_catalog.varchar'::pg_catalog.regtype, 'pg_catalog.bpchar'::pg_catalog.regtype,
        'pg_catalog.name'::pg_catalog.regtype, 'pg_catalog.char'::pg_catalog.regtype, 'pg_catalog.json'::pg_catalog.regtype,
        'pg_catalog.jsonb'::pg_catalog.regtype, 'pg_catalog.uuid'::pg_catalog.regtype, 'pg_catalog.oid'::pg_catalog.regtype]::oid[];
BEGIN
    IF v_type.base = ANY (v_plain) OR v_type.typtype = 'e'
       OR v_type.base IN ('pg_catalog.date'::pg_catalog.regtype, 'pg_catalog.timestamp'::pg_catalog.regtype,
                     'pg_catalog.timestamptz'::pg_catalog.regtype) THEN
        RETURN false;
    END IF;
    IF v_type.typtype = 'b' AND v_type.typlen = -1 AND v_type.typelem <> 0 THEN
        -- an array: logged as JSON, or as its text form when a lower bound is not 1
        v_type := chronicle.capture_base_type(v_type.typelem);
        RETURN NOT (v_type.base = ANY (v_plain) OR v_type.typtype = 'e');
    END IF;
    RETURN true;
END
$function$;

COMMENT ON FUNCTION chronicle.capture_type_follows_settings(oid) IS
    'Internal, for generating capture functions: whether the logged form of a value of the type may depend on the session''s output settings.';

-- ==== functions (src/sql/functions/capture/install_capture.sql)
-- (Re)creates the capture trigger function of an audited table and its triggers on the table
-- and, for a partitioned table, on every partition: a statement fires the statement-level
-- triggers of the relation it names only, so each relation a statement can target needs them.
CREATE FUNCTION chronicle.install_capture(table_id bigint, relation regclass)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_function text := pg_catalog.format('chronicle.%I()', 'capture_' || table_id);
    v_target regclass;
BEGIN
    EXECUTE chronicle.capture_function_definition(table_id, relation);
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', v_function);

    FOR v_target IN
        SELECT relation
        UNION
        SELECT p.relid FROM pg_catalog.pg_partition_tree(relation) AS p
    LOOP
        EXECUTE pg_catalog.format(
            'CREATE OR REPLACE TRIGGER chronicle_capture_start BEFORE INSERT OR UPDATE OR DELETE ON %s '
            'FOR EACH STATEMENT EXECUTE FUNCTION chronicle.stamp_statement()', v_target);
        EXECUTE pg_catalog.format(
            'CREATE OR REPLACE TRIGGER chronicle_capture_insert AFTER INSERT ON %s '
            'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %s', v_target, v_function);
        EXECUTE pg_catalog.format(
            'CREATE OR REPLACE TRIGGER chronicle_capture_update AFTER UPDATE ON %s '
            'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION %s', v_target, v_function);
        EXECUTE pg_catalog.format(
            'CREATE OR REPLACE TRIGGER chronicle_capture_delete AFTER DELETE ON %s '
            'REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION %s', v_target, v_function);
        EXECUTE pg_catalog.format(
            'CREATE OR REPLACE TRIGGER chronicle_capture_truncate BEFORE TRUNCATE ON %s '
            'FOR EACH STATEMENT EXECUTE FUNCTION %s', v_target, v_function);
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.install_capture(bigint, regclass) IS
    'Internal: (re)creates the capture function and triggers of an audited table and its partitions.';

-- Removes the capture triggers from a table and its partitions, and its capture function.
CREATE FUNCTION chronicle.remove_capture(table_id bigint, relation regclass)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_target regclass;
    v_trigger text;
BEGIN
    FOR v_target IN
        SELECT relation
        UNION
        SELECT p.relid FROM pg_catalog.pg_partition_tree(relation) AS p
    LOOP
        FOREACH v_trigger IN ARRAY ARRAY['chronicle_capture_start', 'chronicle_capture_insert', 'chronicle_capture_update',
                                         'chronicle_capture_delete', 'chronicle_capture_truncate']
        LOOP
            EXECUTE pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', v_trigger, v_target);
        END LOOP;
    END LOOP;
    EXECUTE pg_catalog.format('DROP FUNCTION IF EXISTS chronicle.%I()', 'capture_' || table_id);
END
$function$;

COMMENT ON FUNCTION chronicle.remove_capture(bigint, regclass) IS
    'Internal: drops the capture triggers of a table and its partitions, and its capture function.';

-- ==== functions (src/sql/functions/capture/raise_unpaired_update.sql)
-- Called by generated UPDATE capture when the OLD and NEW transition tables do not hold the same
-- number of rows, so rows cannot be paired by position. PostgreSQL fills both in step, one pair
-- per updated row; the only known exception is a row moved to another partition whose BEFORE
-- INSERT trigger then skips it. Logging a guess would corrupt history, so the statement fails.
CREATE FUNCTION chronicle.raise_unpaired_update(table_id bigint)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RAISE EXCEPTION 'chronicle cannot pair the old and new rows of an UPDATE on audited table id %', table_id
        USING ERRCODE = 'P0001',
              DETAIL = 'The statement''s OLD and NEW transition tables differ in size.',
              HINT = 'A BEFORE INSERT trigger on a partition skipped a row moved by the UPDATE; update that row in two statements.';
END
$function$;

COMMENT ON FUNCTION chronicle.raise_unpaired_update(bigint) IS
    'Internal, for the capture triggers: fails an UPDATE whose old and new rows cannot be paired.';

-- ==== functions (src/sql/functions/core/version.sql)
CREATE FUNCTION chronicle.version()
RETURNS text
LANGUAGE sql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'chronicle'
$function$;

COMMENT ON FUNCTION chronicle.version() IS
    'Version of the chronicle extension installed in this database.';

-- ==== functions (src/sql/functions/ddl/ddl_command_end.sql)
-- ddl_command_end: refuses changes to chronicle's own objects, brings the logged structure of
-- every audited table up to date with the catalog (ddl_sync_table), audits new tables of
-- auto-audited schemas, and deletes the statement's pre-images that turned out not to apply.
-- Commands run by extension scripts (CREATE EXTENSION, ALTER EXTENSION ... UPDATE) are left alone.
CREATE FUNCTION chronicle.ddl_command_end()
RETURNS event_trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_command record;
    v_table record;
    v_transaction_id bigint;
BEGIN
    -- A DROP EXTENSION that did not drop chronicle, after ddl_command_start removed the captures.
    IF TG_TAG = 'DROP EXTENSION' AND pg_catalog.current_setting('chronicle.captures_removed', true) = 'on' THEN
        PERFORM pg_catalog.set_config('chronicle.captures_removed', '', true);
        PERFORM chronicle.install_capture(v.table_id, r.relation)
        FROM chronicle.audit_table_log AS v
        CROSS JOIN LATERAL pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.schema_name, v.table_name)) AS r(relation)
        WHERE v.valid_until IS NULL AND r.relation IS NOT NULL;
    END IF;
    -- chronicle's own tables (and their columns, indexes, constraints, triggers, rules, policies).
    -- Allowed: an ALTER TABLE that leaves their structure as it was (storage parameters such as
    -- autovacuum settings, statistics targets, CLUSTER ON).
    SELECT c.command_tag, c.object_type, c.object_identity INTO v_command
    FROM pg_catalog.pg_event_trigger_ddl_commands() AS c
    -- (no structure taken at the start, e.g. for a statement whose text does not name chronicle,
    -- is no structure left as it was)
    WHERE c.schema_name = 'chronicle' AND NOT c.in_extension
      AND NOT (c.command_tag = 'ALTER TABLE'
               AND pg_catalog.current_setting('chronicle.protected_structure', true) IS NOT DISTINCT FROM chronicle.ddl_protected_structure())
      AND EXISTS (
        SELECT FROM pg_catalog.pg_depend AS d
        JOIN pg_catalog.pg_extension AS x ON x.oid = d.refobjid AND x.extname = 'chronicle'
        WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'e'
          AND d.objid = CASE c.object_type
              WHEN 'index' THEN (SELECT i.indrelid FROM pg_catalog.pg_index AS i WHERE i.indexrelid = c.objid)
              WHEN 'table constraint' THEN (SELECT k.conrelid FROM pg_catalog.pg_constraint AS k WHERE k.oid = c.objid)
              WHEN 'trigger' THEN (SELECT t.tgrelid FROM pg_catalog.pg_trigger AS t WHERE t.oid = c.objid)
              WHEN 'rule' THEN (SELECT r.ev_class FROM pg_catalog.pg_rewrite AS r WHERE r.oid = c.objid)
              WHEN 'policy' THEN (SELECT p.polrelid FROM pg_catalog.pg_policy AS p WHERE p.oid = c.objid)
              ELSE c.objid END)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'cannot run % on % %: it belongs to chronicle', v_command.command_tag, v_command.object_type, v_command.object_identity
            USING ERRCODE = '42501',
                  HINT = 'chronicle''s log tables change only with ALTER EXTENSION chronicle UPDATE; DROP EXTENSION chronicle removes them.';
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_event_trigger_ddl_commands() AS c WHERE c.in_extension) THEN
        RETURN;
    END IF;
    IF TG_TAG = 'CREATE TRIGGER' THEN
        -- Columns are matched by attribute number, which pg_restore renumbers (dropped columns leave
        -- no gap in a restored table). A restore creates the capture triggers after the log's rows:
        -- the current column versions of the table then take the attribute numbers of their names.
        UPDATE chronicle.audit_column_log AS l
        SET ordinal_position = a.attnum
        FROM pg_catalog.pg_event_trigger_ddl_commands() AS x
        JOIN pg_catalog.pg_trigger AS t ON t.oid = x.objid AND t.tgname = 'chronicle_capture_insert'
        JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid AND NOT c.relispartition
        JOIN pg_catalog.pg_proc AS p
          ON p.oid = t.tgfoid AND p.pronamespace = 'chronicle'::pg_catalog.regnamespace AND p.proname ~ '^capture_[0-9]+$'
        JOIN pg_catalog.pg_attribute AS a ON a.attrelid = t.tgrelid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE x.object_type = 'trigger'
          AND l.table_id = pg_catalog.substr(p.proname, 9)::integer AND l.valid_until IS NULL
          AND l.column_name = a.attname AND l.ordinal_position <> a.attnum;
        RETURN;
    END IF;
    IF TG_TAG IN ('CREATE RULE', 'CREATE POLICY', 'ALTER POLICY', 'COMMENT', 'ALTER SEQUENCE') THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT FROM chronicle.audit_table_log AS t WHERE t.valid_until IS NULL)
       AND NOT EXISTS (SELECT FROM chronicle.auto_audit_schema) THEN
        RETURN;
    END IF;
    -- temporary objects are never audited
    IF EXISTS (SELECT FROM pg_catalog.pg_event_trigger_ddl_commands())
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_event_trigger_ddl_commands() AS c
                       WHERE c.schema_name IS NULL OR (c.schema_name <> 'pg_temp' AND c.schema_name NOT LIKE 'pg\_temp\_%')) THEN
        RETURN;
    END IF;

    -- The audited tables this statement may have changed: those its commands name (a table, or one
    -- of its partitions, indexes or constraints) for the commands that report what they change;
    -- every audited table for those that may change one through a dependency (DROP TYPE ...
    -- CASCADE, ALTER TYPE ... RENAME, DROP INDEX, ALTER SCHEMA ... RENAME). A dropped table needs
    -- nothing here: ddl_sql_drop logged it.
    IF TG_TAG IN ('DROP TYPE', 'DROP DOMAIN', 'ALTER TYPE', 'ALTER DOMAIN', 'DROP OWNED', 'DROP SEQUENCE',
                  'DROP EXTENSION', 'DROP COLLATION', 'DROP INDEX', 'ALTER SCHEMA', 'DROP SCHEMA') THEN
        FOR v_table IN
            SELECT r.table_id, r.relation FROM chronicle.ddl_changed_tables() AS r ORDER BY r.table_id
        LOOP
            PERFORM chronicle.ddl_sync_table(v_table.table_id, v_table.relation, TG_TAG);
        END LOOP;
    ELSE
        FOR v_table IN
            -- the relation itself, and its ancestors when it is a partition; audited when it carries
            -- the capture triggers and is no partition
            SELECT DISTINCT v.table_id, c.oid::pg_catalog.regclass AS relation
            FROM pg_catalog.pg_event_trigger_ddl_commands() AS x
            CROSS JOIN LATERAL (SELECT CASE x.object_type
                    WHEN 'index' THEN (SELECT i.indrelid FROM pg_catalog.pg_index AS i WHERE i.indexrelid = x.objid)
                    WHEN 'table constraint' THEN (SELECT k.conrelid FROM pg_catalog.pg_constraint AS k WHERE k.oid = x.objid)
                    ELSE x.objid END AS relid) AS o
            CROSS JOIN LATERAL (SELECT o.relid
                                UNION
                                SELECT a.relid FROM pg_catalog.pg_partition_ancestors(o.relid) AS a) AS r
            JOIN pg_catalog.pg_class AS c ON c.oid = r.relid AND NOT c.relispartition
            JOIN pg_catalog.pg_trigger AS t ON t.tgrelid = c.oid AND t.tgname = 'chronicle_capture_insert'
            JOIN pg_catalog.pg_proc AS p
              ON p.oid = t.tgfoid AND p.pronamespace = 'chronicle'::pg_catalog.regnamespace AND p.proname ~ '^capture_[0-9]+$'
            JOIN chronicle.audit_table_log AS v
              ON v.valid_until IS NULL AND v.table_id = pg_catalog.substr(p.proname, 9)::integer
            WHERE x.object_type IN ('table', 'table column', 'index', 'table constraint')
            ORDER BY v.table_id
        LOOP
            PERFORM chronicle.ddl_sync_table(v_table.table_id, v_table.relation, TG_TAG);
        END LOOP;
    END IF;

    -- Auto-audit: tables created in a schema whose new tables are audited. One created without a
    -- row key (always so after CREATE TABLE AS and SELECT INTO) is pending, and audited by the
    -- statement that gives it one: only pending ones are, so that the ALTER TABLE ... ADD PRIMARY
    -- KEY of a restored dump, which runs before the dump's capture triggers are restored, never
    -- audits a table a second time.
    FOR v_table IN
        SELECT c.oid::pg_catalog.regclass AS relation, c.relname, s.schema_name, s.log_old_data, s.log_new_data,
               pg_catalog.bool_or(x.command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO')) AS created
        FROM pg_catalog.pg_event_trigger_ddl_commands() AS x
        JOIN pg_catalog.pg_class AS c
          ON c.oid = CASE WHEN x.object_type = 'index'
                          THEN (SELECT i.indrelid FROM pg_catalog.pg_index AS i WHERE i.indexrelid = x.objid)
                          ELSE x.objid END
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        JOIN chronicle.auto_audit_schema AS s ON s.schema_name = n.nspname
        WHERE x.object_type IN ('table', 'index')
          AND x.command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE', 'CREATE INDEX')
          AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence <> 't'
          AND c.relname <> ALL (s.except_tables)
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS t WHERE t.tgrelid = c.oid AND t.tgname = 'chronicle_capture_insert')
        GROUP BY c.oid, c.relname, s.schema_name, s.log_old_data, s.log_new_data, s.pending_tables
        HAVING pg_catalog.bool_or(x.command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO')) OR c.relname = ANY (s.pending_tables)
        ORDER BY c.oid
    LOOP
        BEGIN
            PERFORM chronicle.audit_key_columns(v_table.relation);
        EXCEPTION WHEN OTHERS THEN
            IF v_table.created THEN
                UPDATE chronicle.auto_audit_schema AS s
                SET pending_tables = s.pending_tables || v_table.relname
                WHERE s.schema_name = v_table.schema_name AND v_table.relname <> ALL (s.pending_tables);
                RAISE NOTICE 'table % is not audited yet: it has no row key', v_table.relation
                    USING HINT = 'Its schema audits new tables: it is audited (with a baseline of its rows) once it has a primary key or a unique key on NOT NULL columns.';
            END IF;
            CONTINUE;
        END;
        UPDATE chronicle.auto_audit_schema AS s
        SET pending_tables = pg_catalog.array_remove(s.pending_tables, v_table.relname)
        WHERE s.schema_name = v_table.schema_name;
        PERFORM chronicle.create_table_audit(v_table.relation, v_table.log_old_data, v_table.log_new_data, '{}', true);
    END LOOP;

    -- Pre-images that did not become DDL events; and the transaction's log row, if nothing else uses it.
    SELECT x.id INTO v_transaction_id FROM chronicle.transaction_log AS x
    WHERE x.txid = pg_catalog.pg_current_xact_id() AND x.started_at = pg_catalog.transaction_timestamp();
    IF v_transaction_id IS NOT NULL THEN
        WITH unused AS (
            DELETE FROM chronicle.table_event_log AS e
            WHERE e.transaction_id = v_transaction_id AND e.operation = 'DDL PRE-IMAGE'
            RETURNING e.id
        )
        DELETE FROM chronicle.row_log AS r WHERE r.event_id IN (SELECT u.id FROM unused AS u);
        DELETE FROM chronicle.transaction_log AS x
        WHERE x.id = v_transaction_id
          AND NOT EXISTS (SELECT FROM chronicle.table_event_log AS e WHERE e.transaction_id = v_transaction_id)
          AND NOT EXISTS (SELECT FROM chronicle.audit_table_log AS t WHERE v_transaction_id IN (t.valid_from, t.valid_until))
          AND NOT EXISTS (SELECT FROM chronicle.audit_column_log AS c WHERE v_transaction_id IN (c.valid_from, c.valid_until))
          -- (a revert's row, made before the DDL it runs)
          AND NOT EXISTS (SELECT FROM chronicle.revert_log AS r WHERE r.revert_transaction_id = v_transaction_id);
    END IF;
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_command_end() IS
    'Internal, event trigger: logs the structure changes of audited tables, audits new tables of auto-audited schemas, protects chronicle''s own objects.';

-- ==== functions (src/sql/functions/ddl/ddl_command_start.sql)
-- ddl_command_start: logs what a DDL statement may destroy before it runs, since the values of a
-- dropped or retyped column and the rows of a dropped table are gone when the statement ends.
-- Which audited tables and columns a statement may touch is read from the identifiers of its text
-- (a hint: it may name more, never fewer, when it names them literally); the candidates are
-- locked and their values logged as a transient 'DDL PRE-IMAGE' event. When the statement ends,
-- the catalog and pg_event_trigger_dropped_objects() decide: pre-images of what really went
-- become the DDL events, the others are deleted, and a drop or retype of audited data without a
-- pre-image is refused (ddl_sql_drop, ddl_command_end).
CREATE FUNCTION chronicle.ddl_command_start()
RETURNS event_trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_words text[];
    v_names text[];
    v_target record;
BEGIN
    v_words := chronicle.ddl_query_identifiers(pg_catalog.current_query());
    v_names := chronicle.ddl_query_relation_names(pg_catalog.current_query());
    -- An ALTER TABLE that may name one of chronicle's own tables: the structure they have now, for
    -- ddl_command_end to compare (a fixed setting name, local to the transaction).
    -- (Not for the ALTER TABLEs a revert runs, whose query text, the revert's call, names
    -- chronicle: they alter audited tables only. A role that sets chronicle.reverting itself only
    -- gets its own ALTER TABLE of chronicle's tables refused, as ddl_command_end then finds no
    -- structure to compare with.)
    IF TG_TAG = 'ALTER TABLE' AND pg_catalog.current_setting('chronicle.reverting', true) IS DISTINCT FROM 'on'
       AND v_words && ARRAY['chronicle', 'transaction_log', 'table_event_log', 'row_log', 'audit_table_log',
                            'audit_column_log', 'auto_audit_schema'] THEN
        PERFORM pg_catalog.set_config('chronicle.protected_structure', chronicle.ddl_protected_structure(), true);
    END IF;
    IF NOT EXISTS (SELECT FROM chronicle.audit_table_log AS t WHERE t.valid_until IS NULL) THEN
        RETURN;
    END IF;

    -- DROP EXTENSION that may name chronicle: the capture triggers and functions of the audited
    -- tables go first, so the extension drops without CASCADE and leaves no trigger behind that
    -- would call its functions. If chronicle outlives the statement (the text named it otherwise,
    -- or the drop failed and a savepoint kept the transaction), ddl_command_end puts them back.
    IF TG_TAG = 'DROP EXTENSION' THEN
        IF 'chronicle' = ANY (v_words) THEN
            PERFORM chronicle.remove_capture(r.table_id, r.relation)
            FROM chronicle.ddl_audited_relations() AS r WHERE r.is_table;
            PERFORM pg_catalog.set_config('chronicle.captures_removed', 'on', true);
        END IF;
        RETURN;
    END IF;

    IF TG_TAG = 'ALTER TABLE' THEN
        IF v_words @> ARRAY['detach', 'concurrently'] THEN
            IF EXISTS (SELECT FROM chronicle.ddl_named_relations(v_names, false) AS r WHERE r.is_table) THEN
                RAISE EXCEPTION 'chronicle cannot capture DETACH PARTITION ... CONCURRENTLY of an audited table'
                    USING ERRCODE = '0A000',
                          HINT = 'Run ALTER TABLE ... DETACH PARTITION without CONCURRENTLY: the rows that leave the table are then logged in the same transaction.';
            END IF;
        END IF;
        -- Only DROP COLUMN, ALTER COLUMN ... TYPE and SET EXPRESSION destroy values.
        IF NOT v_words && ARRAY['drop', 'type', 'expression'] THEN
            RETURN;
        END IF;
        FOR v_target IN
            SELECT r.table_id, r.relation, n.nspname, c.relname,
                   pg_catalog.array_agg(a.attname ORDER BY a.attnum) AS columns
            FROM chronicle.ddl_named_relations(v_names, false) AS r
            JOIN chronicle.audit_table_log AS v ON v.table_id = r.table_id AND v.valid_until IS NULL
            JOIN pg_catalog.pg_class AS c ON c.oid = r.relation
            JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
            JOIN pg_catalog.pg_attribute AS a ON a.attrelid = r.relation AND a.attnum > 0 AND NOT a.attisdropped
            WHERE r.is_table AND v.log_old_data AND a.attname = ANY (v_words)
              -- only a member of the owner may alter the table: nobody else gets it locked and read
              -- by naming it (this function runs as chronicle's owner; session_user is who asks)
              AND pg_catalog.pg_has_role(session_user, c.relowner, 'MEMBER')
              AND a.attname <> ALL (v.excluded_columns) AND a.attgenerated <> 'v'
            GROUP BY r.table_id, r.relation, n.nspname, c.relname
            ORDER BY r.relation::oid
        LOOP
            EXECUTE pg_catalog.format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', v_target.relation);
            PERFORM chronicle.ddl_log_rows(v_target.table_id, v_target.relation, false, 'DDL PRE-IMAGE',
                pg_catalog.jsonb_build_object('schema', v_target.nspname, 'table', v_target.relname,
                                              'columns', pg_catalog.to_jsonb(v_target.columns)),
                v_target.columns, false);
        END LOOP;
        RETURN;
    END IF;

    IF TG_TAG = 'DROP OWNED' THEN
        IF EXISTS (SELECT FROM chronicle.ddl_audited_relations() AS r
                   JOIN pg_catalog.pg_class AS c ON c.oid = r.relation
                   JOIN pg_catalog.pg_roles AS o ON o.oid = c.relowner
                   WHERE o.rolname = ANY (v_words)
                      OR (o.rolname = current_user AND v_words && ARRAY['current_user', 'current_role'])
                      OR (o.rolname = session_user AND 'session_user' = ANY (v_words))) THEN
            RAISE EXCEPTION 'DROP OWNED would drop audited tables or partitions without logging their rows'
                USING ERRCODE = '0A000',
                      HINT = 'Drop the audited tables first with DROP TABLE (their rows are logged), stop auditing them with chronicle.drop_table_audit, or use REASSIGN OWNED.';
        END IF;
        RETURN;
    END IF;

    -- chronicle's restore drops the tables it restored earlier, never audited ones (it refuses a
    -- target schema holding any): no pre-image. Setting this anywhere else only gets a DROP of an
    -- audited table refused (ddl_sql_drop), never unlogged.
    IF TG_TAG = 'DROP TABLE' AND pg_catalog.current_setting('chronicle.ddl_restore_drop', true) = 'on' THEN
        RETURN;
    END IF;

    -- DROP TABLE, DROP SCHEMA: the whole rows of each audited table named (by its own name,
    -- qualified or not, or by its schema's), and of each leaf partition of an audited table
    -- reached through a named partition (or partitioned partition), when its table is not named
    -- itself.
    FOR v_target IN
        WITH named AS (
            -- only relations the asking role may drop (as a member of their owner, or of their
            -- schema's owner for DROP SCHEMA): nobody else gets a table locked and read by naming it
            SELECT r.* FROM chronicle.ddl_named_relations(v_names, TG_TAG = 'DROP SCHEMA') AS r
            JOIN pg_catalog.pg_class AS c ON c.oid = r.relation
            JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
            WHERE pg_catalog.pg_has_role(session_user, c.relowner, 'MEMBER')
               OR (TG_TAG = 'DROP SCHEMA' AND pg_catalog.pg_has_role(session_user, n.nspowner, 'MEMBER'))
        ), targets AS (
            SELECT r.table_id, r.relation, false AS partition FROM named AS r WHERE r.is_table
            UNION
            SELECT r.table_id, p.relid::pg_catalog.regclass, true
            FROM named AS r
            CROSS JOIN LATERAL pg_catalog.pg_partition_tree(r.relation) AS p
            WHERE NOT r.is_table AND p.isleaf
              AND r.table_id NOT IN (SELECT t.table_id FROM named AS t WHERE t.is_table)
        )
        SELECT t.table_id, t.relation, n.nspname, c.relname, t.partition,
               ARRAY(SELECT pg_catalog.format('%I.%I', pn.nspname, pc.relname)
                     FROM pg_catalog.pg_partition_tree(t.relation) AS p
                     JOIN pg_catalog.pg_class AS pc ON pc.oid = p.relid
                     JOIN pg_catalog.pg_namespace AS pn ON pn.oid = pc.relnamespace
                     WHERE NOT t.partition AND p.relid <> t.relation::oid) AS partitions
        FROM targets AS t
        JOIN pg_catalog.pg_class AS c ON c.oid = t.relation
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        ORDER BY t.relation::oid
    LOOP
        EXECUTE pg_catalog.format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', v_target.relation);
        PERFORM chronicle.ddl_log_rows(v_target.table_id, v_target.relation, v_target.partition, 'DDL PRE-IMAGE',
            pg_catalog.jsonb_build_object('schema', v_target.nspname, 'table', v_target.relname,
                                          'relation', pg_catalog.format('%I.%I', v_target.nspname, v_target.relname),
                                          'partition', v_target.partition)
            || CASE WHEN v_target.partition THEN '{}' ELSE pg_catalog.jsonb_build_object('partitions', v_target.partitions) END,
            NULL, false);
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_command_start() IS
    'Internal, event trigger: logs the values a DDL statement may destroy on audited tables before it runs.';

-- ==== functions (src/sql/functions/ddl/ddl_protected_structure.sql)
-- A fingerprint of the structure of chronicle's own tables: columns, constraints, triggers, rules,
-- policies and row security, not storage parameters, tablespace or statistics targets. An ALTER
-- TABLE of a log table is allowed when it leaves the fingerprint as it was (e.g. a DBA tuning
-- autovacuum), refused otherwise (ddl_command_start and ddl_command_end compare it).
CREATE FUNCTION chronicle.ddl_protected_structure()
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.md5(pg_catalog.string_agg(s.part, E'\n' ORDER BY s.part))
    FROM (
        SELECT pg_catalog.format('%s rls=%s,%s', c.oid::pg_catalog.regclass, c.relrowsecurity, c.relforcerowsecurity) AS part, c.oid
        FROM pg_catalog.pg_class AS c
        UNION ALL
        SELECT pg_catalog.format('%s.%s %s %s %s %s', a.attrelid::pg_catalog.regclass, a.attnum, a.attname, a.attisdropped,
                                 pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull)
               || coalesce(' default ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid), ''), a.attrelid
        FROM pg_catalog.pg_attribute AS a
        LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attnum > 0
        UNION ALL
        SELECT pg_catalog.format('%s constraint %s %s', k.conrelid::pg_catalog.regclass, k.conname, pg_catalog.pg_get_constraintdef(k.oid)), k.conrelid
        FROM pg_catalog.pg_constraint AS k
        UNION ALL
        SELECT pg_catalog.format('%s trigger %s %s', t.tgrelid::pg_catalog.regclass, t.tgname, t.tgenabled), t.tgrelid
        FROM pg_catalog.pg_trigger AS t
        UNION ALL
        SELECT pg_catalog.format('%s rule %s', r.ev_class::pg_catalog.regclass, r.rulename), r.ev_class
        FROM pg_catalog.pg_rewrite AS r
        UNION ALL
        SELECT pg_catalog.format('%s policy %s', p.polrelid::pg_catalog.regclass, p.polname), p.polrelid
        FROM pg_catalog.pg_policy AS p
    ) AS s
    WHERE s.oid IN (SELECT d.objid FROM pg_catalog.pg_depend AS d
                    JOIN pg_catalog.pg_extension AS x ON x.oid = d.refobjid AND x.extname = 'chronicle'
                    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'e')
$function$;

COMMENT ON FUNCTION chronicle.ddl_protected_structure() IS
    'Internal, for DDL capture: a fingerprint of the structure of chronicle''s own tables (not their storage parameters).';

-- ==== functions (src/sql/functions/ddl/ddl_relations.sql)
-- The identifiers of a query text, as candidates for the tables and columns a DDL statement may
-- touch: quoted identifiers as written, unquoted words both as written and folded to lower case.
-- A hint only (string literals and comments add words too, which only widens the candidates): what
-- a statement really changed is read from the event trigger functions afterwards.
CREATE FUNCTION chronicle.ddl_query_identifiers(query text)
RETURNS text[]
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT coalesce(pg_catalog.array_agg(DISTINCT w.word), '{}')
    FROM pg_catalog.regexp_matches(coalesce(query, ''), '"((?:[^"]|"")+)"|([[:alpha:]_][[:alnum:]_$]*)', 'g') AS m(part),
         LATERAL (SELECT pg_catalog.replace(m.part[1], '""', '"') WHERE m.part[1] IS NOT NULL
                  UNION ALL SELECT m.part[2] WHERE m.part[2] IS NOT NULL
                  UNION ALL SELECT pg_catalog.lower(m.part[2]) WHERE m.part[2] IS NOT NULL) AS w(word)
$function$;

COMMENT ON FUNCTION chronicle.ddl_query_identifiers(text) IS
    'Internal, for DDL capture: the identifiers a query text names (a hint for which audited tables a DDL statement may change).';

-- The names of relations a query text may mean, as candidates for the audited tables a DDL
-- statement may drop or alter: each identifier written alone (as written and, unquoted, folded to
-- lower case), and each pair written qualified, a.b, as format('%I.%I', a, b). A part of a
-- qualified name is not a name of its own, so DROP TABLE staging.orders never means public.orders.
-- A hint only, like ddl_query_identifiers.
CREATE FUNCTION chronicle.ddl_query_relation_names(query text)
RETURNS text[]
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    WITH chains AS (
        SELECT c.n, c.chain[1] AS chain
        FROM pg_catalog.regexp_matches(coalesce(query, ''),
                 '(?:"(?:[^"]|"")+"|[[:alpha:]_][[:alnum:]_$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[[:alpha:]_][[:alnum:]_$]*))*', 'g')
             WITH ORDINALITY AS c(chain, n)
    ), parts AS (
        SELECT ch.n, p.i, p.part
        FROM chains AS ch,
             pg_catalog.regexp_matches(ch.chain, '"((?:[^"]|"")+)"|([[:alpha:]_][[:alnum:]_$]*)', 'g') WITH ORDINALITY AS p(part, i)
    ), spellings AS (
        SELECT x.n, x.i, w.word, pg_catalog.max(x.i) OVER (PARTITION BY x.n) AS parts
        FROM parts AS x,
             LATERAL (SELECT pg_catalog.replace(x.part[1], '""', '"') WHERE x.part[1] IS NOT NULL
                      UNION SELECT x.part[2] WHERE x.part[2] IS NOT NULL
                      UNION SELECT pg_catalog.lower(x.part[2]) WHERE x.part[2] IS NOT NULL) AS w(word)
    )
    SELECT coalesce(pg_catalog.array_agg(DISTINCT x.name), '{}')
    FROM (SELECT s.word FROM spellings AS s WHERE s.parts = 1
          UNION ALL
          SELECT pg_catalog.format('%I.%I', a.word, b.word) FROM spellings AS a JOIN spellings AS b ON b.n = a.n AND b.i = a.i + 1) AS x(name)
$function$;

COMMENT ON FUNCTION chronicle.ddl_query_relation_names(text) IS
    'Internal, for DDL capture: the relation names a query text names, alone or schema-qualified (a hint for which audited tables a DDL statement may change).';

-- Every relation that carries the capture triggers of a currently audited table: the table itself,
-- its partitions, and partitions detached since (they keep the triggers until DDL capture sees the
-- detach). Found through the triggers rather than by name, so a table renamed or moved by the
-- statement being captured is still found.
CREATE FUNCTION chronicle.ddl_audited_relations()
RETURNS TABLE (table_id integer, relation regclass, is_table boolean)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    -- PL/pgSQL, so that the plan is kept for the session: it runs at every DDL statement that may
    -- touch an audited table, and planning it costs more than running it.
    RETURN QUERY
    WITH carriers AS (
        SELECT v.table_id, c.oid::pg_catalog.regclass AS relation, c.relispartition,
               (n.nspname = v.schema_name AND c.relname = v.table_name) AS same_name,
               pg_catalog.count(*) FILTER (WHERE NOT c.relispartition) OVER (PARTITION BY v.table_id) AS roots
        FROM pg_catalog.pg_trigger AS t
        JOIN pg_catalog.pg_proc AS p ON p.oid = t.tgfoid
        JOIN chronicle.audit_table_log AS v
          ON v.valid_until IS NULL AND v.table_id = pg_catalog.substr(p.proname, 9)::integer
        JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        WHERE t.tgname = 'chronicle_capture_insert' AND p.pronamespace = 'chronicle'::pg_catalog.regnamespace
          AND p.proname ~ '^capture_[0-9]+$'
    )
    -- A rename and a detach cannot happen in one statement: when several relations that are no
    -- partition carry the triggers, the table is the one that still has its logged name.
    SELECT c.table_id, c.relation, NOT c.relispartition AND (c.roots = 1 OR c.same_name)
    FROM carriers AS c;
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_audited_relations() IS
    'Internal, for DDL capture: the relations carrying the capture triggers of each audited table, and which of them is the table.';

-- The relations carrying the capture triggers of a currently audited table whose name (or, with
-- by_schema, whose schema's name) is one of names, or whose qualified name is (as
-- ddl_query_relation_names writes it): found through the catalog indexes, so a DDL statement that
-- names no audited table costs next to nothing however many tables are audited.
CREATE FUNCTION chronicle.ddl_named_relations(names text[], by_schema boolean)
RETURNS TABLE (table_id integer, relation regclass, is_table boolean)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN QUERY
    SELECT v.table_id, c.oid::pg_catalog.regclass, NOT c.relispartition
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_trigger AS t ON t.tgrelid = c.oid AND t.tgname = 'chronicle_capture_insert'
    JOIN pg_catalog.pg_proc AS p
      ON p.oid = t.tgfoid AND p.pronamespace = 'chronicle'::pg_catalog.regnamespace AND p.proname ~ '^capture_[0-9]+$'
    JOIN chronicle.audit_table_log AS v
      ON v.valid_until IS NULL AND v.table_id = pg_catalog.substr(p.proname, 9)::integer
    WHERE c.oid IN (SELECT x.oid FROM pg_catalog.pg_class AS x
                    WHERE NOT by_schema AND x.relname = ANY (names::name[])
                    UNION ALL
                    SELECT x.oid FROM pg_catalog.pg_class AS x
                    JOIN pg_catalog.pg_namespace AS n ON n.oid = x.relnamespace
                    WHERE NOT by_schema
                      -- the relation part of each name written as format('%I.%I') does (only those parse)
                      AND x.relname = ANY (ARRAY(SELECT (pg_catalog.parse_ident(q))[2]::name FROM pg_catalog.unnest(names) AS q
                                                 WHERE q ~ '^("([^"]|"")+"|[a-z_][a-z0-9_]*)\.("([^"]|"")+"|[a-z_][a-z0-9_]*)$'))
                      AND pg_catalog.format('%I.%I', n.nspname, x.relname) = ANY (names)
                    UNION ALL
                    SELECT x.oid FROM pg_catalog.pg_class AS x
                    JOIN pg_catalog.pg_namespace AS n ON n.oid = x.relnamespace
                    WHERE by_schema AND n.nspname = ANY (names::name[]));
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_named_relations(text[], boolean) IS
    'Internal, for DDL capture: the audited tables and partitions with one of the given names (or in one of the given schemas).';

-- The audited tables whose catalog no longer matches their logged current version: another name
-- or schema, other columns (name, type, default, NOT NULL, generated, identity), or a logged key
-- that no longer has its unique index. One set-based pass over every audited table, for the DDL
-- that can change a table only through a dependency (DROP TYPE ... CASCADE, DROP INDEX, ALTER
-- SCHEMA ... RENAME, ...): only the tables found are then synced one by one.
CREATE FUNCTION chronicle.ddl_changed_tables()
RETURNS TABLE (table_id integer, relation regclass)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN QUERY
    SELECT r.table_id, r.relation
    FROM chronicle.ddl_audited_relations() AS r
    JOIN chronicle.audit_table_log AS v ON v.table_id = r.table_id AND v.valid_until IS NULL
    JOIN pg_catalog.pg_class AS c ON c.oid = r.relation
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE r.is_table
      AND (n.nspname <> v.schema_name OR c.relname <> v.table_name
           OR (SELECT pg_catalog.string_agg(pg_catalog.format('%s %s %s %s %s %s %s', l.ordinal_position, l.column_name, l.data_type,
                                                              l.column_default, l.not_null, l.generated, l.identity), ',' ORDER BY l.ordinal_position)
               FROM chronicle.audit_column_log AS l WHERE l.table_id = r.table_id AND l.valid_until IS NULL)
              IS DISTINCT FROM
              (SELECT pg_catalog.string_agg(pg_catalog.format('%s %s %s %s %s %s %s', a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
                                                              pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attnotnull,
                                                              CASE a.attgenerated WHEN 's' THEN 'STORED' WHEN 'v' THEN 'VIRTUAL' END,
                                                              CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END), ',' ORDER BY a.attnum)
               FROM pg_catalog.pg_attribute AS a
               LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
               WHERE a.attrelid = r.relation AND a.attnum > 0 AND NOT a.attisdropped)
           OR NOT EXISTS (
               SELECT FROM pg_catalog.pg_index AS i
               WHERE i.indrelid = r.relation AND i.indisunique AND i.indimmediate AND i.indpred IS NULL AND i.indexprs IS NULL
                 AND i.indnkeyatts = pg_catalog.cardinality(v.key_columns)
                 AND ARRAY(SELECT a.attname FROM pg_catalog.unnest(i.indkey::smallint[]) WITH ORDINALITY AS k(attnum, ord)
                           JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                           WHERE k.ord <= i.indnkeyatts ORDER BY k.ord) = v.key_columns));
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_changed_tables() IS
    'Internal, for DDL capture: the audited tables whose catalog differs from their logged current version.';

-- One DDL event of a table in this transaction; returns its id.
CREATE FUNCTION chronicle.ddl_log_event(table_id integer, operation text, ddl jsonb)
RETURNS bigint
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    INSERT INTO chronicle.table_event_log (transaction_id, table_id, operation, ddl)
    VALUES (chronicle.log_transaction(), ddl_log_event.table_id, ddl_log_event.operation::chronicle.event_operation, ddl_log_event.ddl)
    RETURNING id
$function$;

COMMENT ON FUNCTION chronicle.ddl_log_event(integer, text, jsonb) IS
    'Internal, for DDL capture: logs one DDL event and returns its id.';

-- Logs the rows of a relation as one event of an audited table: row key plus, per the table's
-- options, the values given (columns NULL: the whole row; otherwise those columns only), as old
-- or new data. Values are written as the capture functions write them, under the same settings.
CREATE FUNCTION chronicle.ddl_log_rows(
    table_id integer, relation regclass, only_relation boolean, operation text, ddl jsonb,
    columns name[], as_new_data boolean)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
AS $function$
-- the arguments are named like catalog columns: bare names mean the arguments
#variable_conflict use_variable
DECLARE
    v_version chronicle.audit_table_log;
    v_key text;
    v_data text;
    v_source text := '';
    v_event bigint;
BEGIN
    SELECT * INTO STRICT v_version FROM chronicle.audit_table_log AS t
    WHERE t.table_id = ddl_log_rows.table_id AND t.valid_until IS NULL;
    v_key := chronicle.capture_key_expression(relation, v_version.key_columns, 't');
    IF columns IS NULL THEN
        v_data := chronicle.capture_whole_row(relation, 't', v_version.excluded_columns);
        v_source := chronicle.capture_whole_row_source(relation, 't', v_version.excluded_columns);
    ELSE
        SELECT 'pg_catalog.jsonb_build_object(' || pg_catalog.string_agg(
                   pg_catalog.format('%L, %s', a.attname, chronicle.capture_object_value(a.atttypid, pg_catalog.format('t.%I', a.attname))),
                   ', ' ORDER BY chronicle.capture_key_rank(a.attname)) || ')'
        INTO v_data
        FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = ANY (columns);
    END IF;
    v_event := chronicle.ddl_log_event(table_id, operation, ddl);
    EXECUTE pg_catalog.format($sql$
        INSERT INTO chronicle.row_log (event_id, table_id, row_key, old_data, new_data)
        SELECT %1$s, %2$s, %3$s, %4$s, %5$s
        FROM %6$s %7$s AS t%8$s$sql$,
        v_event, table_id, v_key,
        CASE WHEN NOT as_new_data AND v_version.log_old_data THEN coalesce(v_data, '''{}''::jsonb') ELSE 'NULL' END,
        CASE WHEN as_new_data THEN coalesce(v_data, '''{}''::jsonb') ELSE 'NULL' END,
        CASE WHEN only_relation THEN 'ONLY' ELSE '' END, relation, v_source);
    RETURN v_event;
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_log_rows(integer, regclass, boolean, text, jsonb, name[], boolean) IS
    'Internal, for DDL capture: logs the rows of a relation (whole, or some columns) as one event of an audited table.';

-- ==== functions (src/sql/functions/ddl/ddl_sql_drop.sql)
-- sql_drop: the authoritative list of what a statement dropped. An audited table, a partition of
-- one or an audited column dropped here must have been logged when the statement started
-- (ddl_command_start); its pre-image then becomes the DROP TABLE / DROP PARTITION event (a
-- dropped column's becomes DROP COLUMN in ddl_command_end, which sees the table's new shape).
-- Anything else would be lost silently, so the statement is refused. Objects of chronicle itself
-- may only be dropped by DROP EXTENSION chronicle.
CREATE FUNCTION chronicle.ddl_sql_drop()
RETURNS event_trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_dropped record;
    v_transaction_id bigint;
BEGIN
    IF TG_TAG = 'DROP EXTENSION' AND EXISTS (
            SELECT FROM pg_catalog.pg_event_trigger_dropped_objects() AS o
            WHERE o.object_type = 'extension' AND o.object_name = 'chronicle') THEN
        RETURN;
    END IF;
    -- Parts of chronicle's tables (the tables themselves belong to the extension, which PostgreSQL
    -- protects); a table someone else made in the schema may go with its parts.
    SELECT o.object_type, o.object_identity INTO v_dropped
    FROM pg_catalog.pg_event_trigger_dropped_objects() AS o
    WHERE o.schema_name = 'chronicle'
      AND o.object_type IN ('index', 'table constraint', 'table column', 'default value', 'rule', 'policy', 'sequence')
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_event_trigger_dropped_objects() AS t
                      WHERE t.schema_name = 'chronicle' AND t.object_type = 'table')
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'cannot drop % %: it belongs to chronicle', v_dropped.object_type, v_dropped.object_identity
            USING ERRCODE = '42501',
                  HINT = 'chronicle''s log tables and their indexes change only with ALTER EXTENSION chronicle UPDATE; DROP EXTENSION chronicle removes them all.';
    END IF;
    IF TG_TAG IN ('DROP TRIGGER', 'DROP FUNCTION') AND NOT EXISTS (
            SELECT FROM pg_catalog.pg_event_trigger_dropped_objects() AS o
            WHERE o.object_type NOT IN ('function', 'trigger')) THEN
        -- chronicle's own remove_capture, or a user's DROP TRIGGER: nothing of a table's data goes.
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT FROM chronicle.audit_table_log AS t WHERE t.valid_until IS NULL) THEN
        RETURN;
    END IF;
    SELECT x.id INTO v_transaction_id FROM chronicle.transaction_log AS x
    WHERE x.txid = pg_catalog.pg_current_xact_id() AND x.started_at = pg_catalog.transaction_timestamp();

    -- Audited tables.
    FOR v_dropped IN
        SELECT v.id AS version_id, v.table_id, v.schema_name, v.table_name,
               (SELECT e.id FROM chronicle.table_event_log AS e
                WHERE e.transaction_id = v_transaction_id AND e.table_id = v.table_id
                  AND e.operation = 'DDL PRE-IMAGE' AND e.ddl->>'partition' = 'false'
                  AND e.ddl->>'schema' = v.schema_name AND e.ddl->>'table' = v.table_name
                ORDER BY e.id DESC LIMIT 1) AS pre_image
        FROM pg_catalog.pg_event_trigger_dropped_objects() AS o
        JOIN chronicle.audit_table_log AS v
          ON v.valid_until IS NULL AND v.schema_name = o.schema_name AND v.table_name = o.object_name
        WHERE o.object_type = 'table'
        ORDER BY v.table_id
    LOOP
        IF v_dropped.pre_image IS NULL THEN
            RAISE EXCEPTION 'cannot drop audited table %.% here: its rows were not logged before the drop',
                            pg_catalog.quote_ident(v_dropped.schema_name), pg_catalog.quote_ident(v_dropped.table_name)
                USING ERRCODE = '0A000',
                      HINT = 'Drop it with DROP TABLE or DROP SCHEMA ... CASCADE, naming it in the statement text (not through DROP OWNED, an extension or dynamic SQL), or stop auditing it first with chronicle.drop_table_audit.';
        END IF;
        UPDATE chronicle.table_event_log AS e
        SET operation = 'DROP TABLE',
            ddl = pg_catalog.jsonb_build_object('schema', v_dropped.schema_name, 'table', v_dropped.table_name,
                                                'partitions', e.ddl->'partitions')
        WHERE e.id = v_dropped.pre_image;
        UPDATE chronicle.audit_table_log AS t
        SET valid_until = v_transaction_id, valid_until_event = v_dropped.pre_image
        WHERE t.id = v_dropped.version_id;
        UPDATE chronicle.audit_column_log AS c
        SET valid_until = v_transaction_id, valid_until_event = v_dropped.pre_image
        WHERE c.table_id = v_dropped.table_id AND c.valid_until IS NULL;
        EXECUTE pg_catalog.format('DROP FUNCTION IF EXISTS chronicle.%I()', 'capture_' || v_dropped.table_id);
    END LOOP;

    -- Partitions of audited tables whose table stays: each carried the capture triggers, so it is
    -- seen by its dropped capture trigger, whose identity names the partition.
    FOR v_dropped IN
        SELECT o.object_identity,
               (SELECT e.id FROM chronicle.table_event_log AS e
                WHERE e.transaction_id = v_transaction_id AND e.operation = 'DDL PRE-IMAGE' AND e.ddl->>'partition' = 'true'
                  AND 'chronicle_capture_insert on ' || (e.ddl->>'relation') = o.object_identity
                ORDER BY e.id DESC LIMIT 1) AS pre_image
        FROM pg_catalog.pg_event_trigger_dropped_objects() AS o
        WHERE o.object_type = 'trigger' AND o.object_identity LIKE 'chronicle\_capture\_insert on %'
          -- partitions of a table dropped whole are in its DROP TABLE event
          AND NOT EXISTS (SELECT FROM chronicle.table_event_log AS e
                          WHERE e.transaction_id = v_transaction_id AND e.operation = 'DROP TABLE'
                            AND (e.ddl->'partitions' ? pg_catalog.substr(o.object_identity, pg_catalog.length('chronicle_capture_insert on ') + 1)
                                 OR 'chronicle_capture_insert on ' || pg_catalog.format('%I.%I', e.ddl->>'schema', e.ddl->>'table') = o.object_identity))
    LOOP
        IF v_dropped.pre_image IS NULL THEN
            RAISE EXCEPTION 'cannot drop % of an audited table here: its rows were not logged before the drop',
                            pg_catalog.substr(v_dropped.object_identity, pg_catalog.length('chronicle_capture_insert on ') + 1)
                USING ERRCODE = '0A000',
                      HINT = 'Drop the partition with DROP TABLE naming it in the statement text, or detach it first (ALTER TABLE ... DETACH PARTITION).';
        END IF;
        UPDATE chronicle.table_event_log AS e
        SET operation = 'DROP PARTITION',
            ddl = pg_catalog.jsonb_build_object('partition', e.ddl->>'relation')
        WHERE e.id = v_dropped.pre_image;
    END LOOP;

    -- Columns of audited tables (ALTER TABLE ... DROP COLUMN, or a cascade from DROP TYPE and the like).
    FOR v_dropped IN
        SELECT o.object_identity, v.table_id, col.column_name
        FROM pg_catalog.pg_event_trigger_dropped_objects() AS o
        JOIN chronicle.audit_table_log AS v
          ON v.valid_until IS NULL AND v.schema_name = o.address_names[1] AND v.table_name = o.address_names[2]
        JOIN chronicle.audit_column_log AS col
          ON col.table_id = v.table_id AND col.valid_until IS NULL AND col.column_name = o.address_names[3]
        WHERE o.object_type = 'table column'
          AND v.log_old_data AND col.column_name <> ALL (v.excluded_columns) AND col.generated IS DISTINCT FROM 'VIRTUAL'
          AND NOT EXISTS (SELECT FROM chronicle.table_event_log AS e
                          WHERE e.transaction_id = v_transaction_id AND e.table_id = v.table_id
                            AND e.operation = 'DDL PRE-IMAGE' AND e.ddl->'columns' ? col.column_name)
    LOOP
        RAISE EXCEPTION 'cannot drop column % of an audited table here: its values were not logged before the drop', v_dropped.object_identity
            USING ERRCODE = '0A000',
                  HINT = 'Drop the column with ALTER TABLE ... DROP COLUMN naming the table and the column in the statement text (not through DROP TYPE/DOMAIN/FUNCTION ... CASCADE or dynamic SQL).';
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_sql_drop() IS
    'Internal, event trigger: turns the pre-images of dropped audited tables and partitions into DDL events; refuses drops that were not logged.';

-- ==== functions (src/sql/functions/ddl/ddl_sync_table.sql)
-- The differences between the logged current columns of an audited table and its catalog, one row
-- per column that was added, dropped or changed; columns are matched by attribute number, which
-- survives renames and type changes.
CREATE FUNCTION chronicle.ddl_column_changes(table_id integer, relation regclass)
RETURNS TABLE (version_id bigint, attnum smallint, old_name name, new_name name, old_type text, new_type text,
               old_default text, new_default text, old_not_null boolean, new_not_null boolean,
               old_generated text, new_generated text, old_identity text, new_identity text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
-- the arguments are named like catalog columns: bare names mean the arguments
#variable_conflict use_variable
BEGIN
    -- PL/pgSQL, so that the plan is kept for the session (a DDL statement runs it several times)
    RETURN QUERY
    SELECT l.id, coalesce(l.ordinal_position, a.attnum), l.column_name, a.attname, l.data_type, a.data_type,
           l.column_default, a.column_default, l.not_null, a.attnotnull, l.generated, a.generated, l.identity, a.identity
    FROM (SELECT c.* FROM chronicle.audit_column_log AS c
          WHERE c.table_id = ddl_column_changes.table_id AND c.valid_until IS NULL) AS l
    FULL JOIN (SELECT a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS data_type,
                      pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS column_default, a.attnotnull,
                      CASE a.attgenerated WHEN 's' THEN 'STORED' WHEN 'v' THEN 'VIRTUAL' END AS generated,
                      CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END AS identity
               FROM pg_catalog.pg_attribute AS a
               LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
               WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped) AS a
      ON a.attnum = l.ordinal_position
    WHERE l.id IS NULL OR a.attnum IS NULL
       OR (l.column_name, l.data_type, l.column_default, l.not_null, l.generated, l.identity)
          IS DISTINCT FROM (a.attname, a.data_type, a.column_default, a.attnotnull, a.generated, a.identity);
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_column_changes(integer, regclass) IS
    'Internal, for DDL capture: the columns of an audited table whose catalog entry differs from their logged current version.';

-- The DDL event of one column whose values a statement destroyed, with the values its pre-image
-- logged (none without a pre-image). A pre-image of that column alone becomes the event itself,
-- so its rows are written once; one of several columns lends its rows to one event per column.
CREATE FUNCTION chronicle.ddl_event_from_pre_image(
    table_id integer, operation text, ddl jsonb, pre_image bigint, column_name name)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
#variable_conflict use_variable
DECLARE
    v_event bigint;
BEGIN
    IF pre_image IS NOT NULL AND (SELECT e.ddl->'columns' FROM chronicle.table_event_log AS e WHERE e.id = pre_image)
                                 = pg_catalog.jsonb_build_array(column_name) THEN
        UPDATE chronicle.table_event_log AS e
        SET operation = ddl_event_from_pre_image.operation::chronicle.event_operation, ddl = ddl_event_from_pre_image.ddl
        WHERE e.id = pre_image;
        RETURN pre_image;
    END IF;
    v_event := chronicle.ddl_log_event(table_id, operation, ddl);
    IF pre_image IS NOT NULL THEN
        INSERT INTO chronicle.row_log (event_id, table_id, row_key, old_data, new_data)
        SELECT v_event, r.table_id, r.row_key, pg_catalog.jsonb_build_object(column_name, r.old_data->column_name), NULL
        FROM chronicle.row_log AS r
        WHERE r.event_id = pre_image;
    END IF;
    RETURN v_event;
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_event_from_pre_image(integer, text, jsonb, bigint, name) IS
    'Internal, for DDL capture: the DDL event of a column whose values a statement destroyed, made from the statement''s pre-image.';

-- Brings the logged structure of one audited table up to date with its catalog after a DDL
-- statement: one DDL event per change, new table and column versions, and the capture function
-- regenerated for the new shape. Values a change destroyed come from the statement's pre-image
-- (ddl_command_start); a change that destroyed logged values without one is refused.
--
-- Events of one statement are written so that undoing them newest first is right: drops, then
-- type changes, renames, additions, then the changes that move no data. command_tag is NULL when
-- no statement is being captured (sync_table_structure).
CREATE FUNCTION chronicle.ddl_sync_table(table_id integer, relation regclass, command_tag text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
AS $function$
-- the arguments are named like catalog columns: bare names mean the arguments
#variable_conflict use_variable
DECLARE
    v_version chronicle.audit_table_log;
    v_schema name;
    v_name name;
    v_key name[];
    v_excluded name[];
    v_transaction_id bigint;
    v_change record;
    v_part record;
    v_event bigint;
    v_first_event bigint;
    v_pre_image bigint;
    v_key_object text;
    v_message text;
    v_state text;
    v_mismatch boolean;
    v_old_key smallint[];
    v_new_key smallint[];
    v_function oid := pg_catalog.to_regprocedure(pg_catalog.format('chronicle.%I()', 'capture_' || table_id));
    v_trigger name;
    v_pre_imaged name[];  -- columns this statement logged before it ran, still there under the same type
    v_rewritten boolean;
    v_ddl jsonb;
BEGIN
    SELECT * INTO STRICT v_version FROM chronicle.audit_table_log AS t
    WHERE t.table_id = ddl_sync_table.table_id AND t.valid_until IS NULL;
    SELECT n.nspname, c.relname INTO STRICT v_schema, v_name
    FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.oid = relation;
    BEGIN
        v_key := chronicle.audit_key_columns(relation);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_state = RETURNED_SQLSTATE;
        RAISE EXCEPTION 'audited table %.% would lose its audit: %', pg_catalog.quote_ident(v_schema), pg_catalog.quote_ident(v_name), v_message
            USING ERRCODE = v_state,
                  HINT = 'An audited table needs its row key (a primary key, or a unique key on NOT NULL columns) at all times: '
                         'add the new key in the same ALTER TABLE statement that drops the old one, or stop auditing the table first with chronicle.drop_table_audit.';
    END;
    -- excluded columns follow renames and drops (matched by attribute number)
    SELECT coalesce(pg_catalog.array_agg(a.attname ORDER BY a.attname), '{}') INTO v_excluded
    FROM chronicle.audit_column_log AS c
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = relation AND a.attnum = c.ordinal_position AND NOT a.attisdropped
    WHERE c.table_id = ddl_sync_table.table_id AND c.valid_until IS NULL AND c.column_name = ANY (v_version.excluded_columns);

    -- ALTER COLUMN ... TYPE to the same type with USING rewrites values the catalog does not show:
    -- every column logged by the statement's pre-image is compared with its values now.
    SELECT coalesce(pg_catalog.array_agg(DISTINCT c.name), '{}') INTO v_pre_imaged
    FROM chronicle.transaction_log AS x
    JOIN chronicle.table_event_log AS e ON e.transaction_id = x.id
    CROSS JOIN LATERAL pg_catalog.jsonb_array_elements_text(e.ddl->'columns') AS c(name)
    WHERE x.txid = pg_catalog.pg_current_xact_id() AND x.started_at = pg_catalog.transaction_timestamp()
      AND e.table_id = ddl_sync_table.table_id AND e.operation = 'DDL PRE-IMAGE'
      -- (columns dropped, retyped or given a new stored expression are logged as such below)
      AND c.name NOT IN (SELECT ch.old_name FROM chronicle.ddl_column_changes(table_id, relation) AS ch
                         WHERE ch.version_id IS NOT NULL
                           AND (ch.new_name IS NULL OR ch.old_type <> ch.new_type
                                OR (ch.old_generated = 'STORED' AND ch.new_generated = 'STORED'
                                    AND ch.old_default IS DISTINCT FROM ch.new_default)))
      AND EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
                  WHERE a.attrelid = relation AND a.attname = c.name AND a.attnum > 0 AND NOT a.attisdropped);

    IF pg_catalog.cardinality(v_pre_imaged) = 0
       AND NOT EXISTS (SELECT FROM chronicle.ddl_column_changes(table_id, relation))
       AND (v_schema, v_name, v_key, v_excluded)
           = (v_version.schema_name, v_version.table_name, v_version.key_columns, v_version.excluded_columns)
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_partition_tree(relation) AS p
                       WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS t
                                         WHERE t.tgrelid = p.relid AND t.tgname = 'chronicle_capture_insert' AND t.tgfoid = v_function))
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS t
                       WHERE t.tgfoid = v_function AND t.tgname = 'chronicle_capture_insert' AND t.tgrelid <> relation::oid
                         AND t.tgrelid NOT IN (SELECT p.relid FROM pg_catalog.pg_partition_tree(relation) AS p)) THEN
        -- Nothing to record. sync_table_structure still generates again a capture function that
        -- an earlier version of chronicle wrote (ALTER EXTENSION UPDATE cannot replace functions
        -- the extension does not own).
        IF command_tag IS NULL
           AND (SELECT p.prosrc FROM pg_catalog.pg_proc AS p WHERE p.oid = v_function)
               IS DISTINCT FROM chronicle.capture_function_source(table_id, relation) THEN
            PERFORM chronicle.install_capture(table_id, relation);
        END IF;
        RETURN;
    END IF;

    v_transaction_id := chronicle.log_transaction();
    v_key_object := chronicle.capture_key_expression(relation, v_key, 't');

    -- Columns whose values went: dropped ones, retyped ones (ALTER TABLE ... TYPE; a type renamed by
    -- ALTER TYPE keeps the values), and stored generated ones whose expression changed.
    FOR v_change IN
        SELECT ch.*,
               CASE WHEN ch.new_name IS NULL THEN 'DROP COLUMN'
                    WHEN ch.old_type <> ch.new_type THEN 'ALTER COLUMN TYPE'
                    ELSE 'ALTER COLUMN EXPRESSION' END AS operation,
               (v_version.log_old_data AND ch.old_name <> ALL (v_version.excluded_columns)
                AND ch.old_generated IS DISTINCT FROM 'VIRTUAL'
                AND (ch.new_name IS NULL OR command_tag = 'ALTER TABLE' OR command_tag IS NULL)) AS logged_values
        FROM chronicle.ddl_column_changes(table_id, relation) AS ch
        WHERE ch.version_id IS NOT NULL
          AND (ch.new_name IS NULL
               OR ch.old_type <> ch.new_type
               OR (ch.old_generated = 'STORED' AND ch.new_generated = 'STORED' AND ch.old_default IS DISTINCT FROM ch.new_default))
        ORDER BY (ch.new_name IS NOT NULL), ch.attnum
    LOOP
        v_pre_image := NULL;
        -- (without a statement, sync_table_structure records a change DDL capture did not see: its
        -- values are gone, and the event says so)
        IF v_change.logged_values AND command_tag IS NOT NULL THEN
            SELECT e.id INTO v_pre_image FROM chronicle.table_event_log AS e
            WHERE e.transaction_id = v_transaction_id AND e.table_id = ddl_sync_table.table_id
              AND e.operation = 'DDL PRE-IMAGE' AND e.ddl->'columns' ? v_change.old_name
            ORDER BY e.id DESC LIMIT 1;
            IF v_pre_image IS NULL THEN
                RAISE EXCEPTION 'cannot % % of audited table %.% here: its values were not logged before the change',
                                pg_catalog.lower(v_change.operation), pg_catalog.quote_ident(v_change.old_name),
                                pg_catalog.quote_ident(v_schema), pg_catalog.quote_ident(v_name)
                    USING ERRCODE = '0A000',
                          HINT = 'Run ALTER TABLE naming the table and the column in the statement text (not through a cascade or dynamic SQL), '
                                 'or exclude the column from the audit first.';
            END IF;
            -- the logged values must still name the rows by their key: a key that changed with them would not
            EXECUTE pg_catalog.format(
                'SELECT (SELECT pg_catalog.count(*) FROM chronicle.row_log AS r WHERE r.event_id = $1) <> (SELECT pg_catalog.count(*) FROM %1$s)
                     OR EXISTS (SELECT r.row_key FROM chronicle.row_log AS r WHERE r.event_id = $1
                                EXCEPT SELECT %2$s FROM %1$s AS t)',
                relation, v_key_object)
            INTO v_mismatch USING v_pre_image;
            IF v_mismatch THEN
                RAISE EXCEPTION 'cannot % % of audited table %.% in this statement: the row keys change with it',
                                pg_catalog.lower(v_change.operation), pg_catalog.quote_ident(v_change.old_name),
                                pg_catalog.quote_ident(v_schema), pg_catalog.quote_ident(v_name)
                    USING ERRCODE = '0A000',
                          HINT = 'Change the row key in a statement of its own first. A key column can only change to a type whose values are logged alike (e.g. integer to bigint).';
            END IF;
        END IF;
        v_ddl := CASE WHEN v_change.new_name IS NULL
                      THEN pg_catalog.jsonb_build_object('column', v_change.old_name, 'attnum', v_change.attnum, 'data_type', v_change.old_type)
                      WHEN v_change.operation = 'ALTER COLUMN TYPE'
                      THEN pg_catalog.jsonb_build_object('column', v_change.old_name, 'attnum', v_change.attnum,
                                                         'old_type', v_change.old_type, 'new_type', v_change.new_type)
                      ELSE pg_catalog.jsonb_build_object('column', v_change.old_name, 'attnum', v_change.attnum,
                                                         'old_expression', v_change.old_default, 'new_expression', v_change.new_default) END;
        IF v_change.logged_values AND command_tag IS NULL THEN
            v_ddl := v_ddl || '{"values_logged": false}';
        END IF;
        v_event := chronicle.ddl_event_from_pre_image(table_id, v_change.operation, v_ddl, v_pre_image, v_change.old_name);
        v_first_event := coalesce(v_first_event, v_event);
    END LOOP;

    FOR v_change IN
        SELECT a.attname, a.attnum, a.atttypid, pg_catalog.format_type(a.atttypid, a.atttypmod) AS data_type,
               (SELECT e.id FROM chronicle.table_event_log AS e
                WHERE e.transaction_id = v_transaction_id AND e.table_id = ddl_sync_table.table_id
                  AND e.operation = 'DDL PRE-IMAGE' AND e.ddl->'columns' ? a.attname
                ORDER BY e.id DESC LIMIT 1) AS pre_image
        FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid = relation AND a.attname = ANY (v_pre_imaged) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
    LOOP
        -- rows are paired by the key the pre-image logged them under (the key before the statement)
        EXECUTE pg_catalog.format(
            'SELECT EXISTS (SELECT FROM chronicle.row_log AS r LEFT JOIN %1$s AS t ON %2$s = r.row_key
                            WHERE r.event_id = $1 AND (t.* IS NULL OR (r.old_data->%3$L)::text IS DISTINCT FROM (%4$s)::text))',
            relation,
            chronicle.capture_key_expression(relation, v_version.key_columns, 't'),
            v_change.attname,
            chronicle.capture_value_expression(v_change.atttypid, pg_catalog.format('t.%I', v_change.attname)))
        INTO v_rewritten USING v_change.pre_image;
        CONTINUE WHEN NOT v_rewritten;
        IF v_key <> v_version.key_columns THEN
            RAISE EXCEPTION 'cannot rewrite column % of audited table %.% in this statement: the row keys change with it',
                            pg_catalog.quote_ident(v_change.attname), pg_catalog.quote_ident(v_schema), pg_catalog.quote_ident(v_name)
                USING ERRCODE = '0A000',
                      HINT = 'Change the row key in a statement of its own first.';
        END IF;
        v_event := chronicle.ddl_event_from_pre_image(table_id, 'ALTER COLUMN TYPE',
            pg_catalog.jsonb_build_object('column', v_change.attname, 'attnum', v_change.attnum,
                                          'old_type', v_change.data_type, 'new_type', v_change.data_type),
            v_change.pre_image, v_change.attname);
        v_first_event := coalesce(v_first_event, v_event);
    END LOOP;

    FOR v_change IN
        SELECT ch.* FROM chronicle.ddl_column_changes(table_id, relation) AS ch
        WHERE ch.version_id IS NOT NULL AND ch.new_name IS NOT NULL AND ch.old_name <> ch.new_name
        ORDER BY ch.attnum
    LOOP
        v_event := chronicle.ddl_log_event(table_id, 'RENAME COLUMN',
            pg_catalog.jsonb_build_object('attnum', v_change.attnum, 'old_name', v_change.old_name, 'new_name', v_change.new_name));
        v_first_event := coalesce(v_first_event, v_event);
    END LOOP;

    FOR v_change IN
        SELECT ch.* FROM chronicle.ddl_column_changes(table_id, relation) AS ch
        WHERE ch.version_id IS NULL
        ORDER BY ch.attnum
    LOOP
        v_event := chronicle.ddl_log_event(table_id, 'ADD COLUMN',
            pg_catalog.jsonb_build_object('column', v_change.new_name, 'attnum', v_change.attnum, 'data_type', v_change.new_type,
                                          'default', v_change.new_default, 'not_null', v_change.new_not_null,
                                          'generated', v_change.new_generated, 'identity', v_change.new_identity));
        v_first_event := coalesce(v_first_event, v_event);
    END LOOP;

    -- Changes that move no data.
    FOR v_change IN
        SELECT ch.*, x.operation, x.ddl
        FROM chronicle.ddl_column_changes(table_id, relation) AS ch
        CROSS JOIN LATERAL (VALUES
            (1, 'ALTER COLUMN DEFAULT',
             ch.old_generated IS NULL AND ch.new_generated IS NULL AND ch.old_default IS DISTINCT FROM ch.new_default,
             pg_catalog.jsonb_build_object('old_default', ch.old_default, 'new_default', ch.new_default)),
            (2, 'ALTER COLUMN NOT NULL', ch.old_not_null IS DISTINCT FROM ch.new_not_null,
             pg_catalog.jsonb_build_object('old_not_null', ch.old_not_null, 'new_not_null', ch.new_not_null)),
            (3, 'ALTER COLUMN IDENTITY', ch.old_identity IS DISTINCT FROM ch.new_identity,
             pg_catalog.jsonb_build_object('old_identity', ch.old_identity, 'new_identity', ch.new_identity)),
            (4, 'ALTER COLUMN EXPRESSION', ch.old_generated IS DISTINCT FROM ch.new_generated,
             pg_catalog.jsonb_build_object('old_generated', ch.old_generated, 'new_generated', ch.new_generated,
                                           'old_expression', ch.old_default, 'new_expression', ch.new_default))
        ) AS x(ord, operation, applies, ddl)
        WHERE ch.version_id IS NOT NULL AND ch.new_name IS NOT NULL AND x.applies
        ORDER BY ch.attnum, x.ord
    LOOP
        v_event := chronicle.ddl_log_event(table_id, v_change.operation,
            pg_catalog.jsonb_build_object('column', v_change.new_name, 'attnum', v_change.attnum) || v_change.ddl);
        v_first_event := coalesce(v_first_event, v_event);
    END LOOP;

    -- The table: schema, name, key, excluded columns.
    SELECT pg_catalog.array_agg(c.ordinal_position ORDER BY k.ord) INTO v_old_key
    FROM pg_catalog.unnest(v_version.key_columns) WITH ORDINALITY AS k(name, ord)
    JOIN chronicle.audit_column_log AS c
      ON c.table_id = ddl_sync_table.table_id AND c.valid_until IS NULL AND c.column_name = k.name;
    SELECT pg_catalog.array_agg(a.attnum ORDER BY k.ord) INTO v_new_key
    FROM pg_catalog.unnest(v_key) WITH ORDINALITY AS k(name, ord)
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = relation AND a.attname = k.name;
    IF v_schema <> v_version.schema_name THEN
        v_event := chronicle.ddl_log_event(table_id, 'SET SCHEMA',
            pg_catalog.jsonb_build_object('old_schema', v_version.schema_name, 'new_schema', v_schema));
        v_first_event := coalesce(v_first_event, v_event);
    END IF;
    IF v_name <> v_version.table_name THEN
        v_event := chronicle.ddl_log_event(table_id, 'RENAME TABLE',
            pg_catalog.jsonb_build_object('old_name', v_version.table_name, 'new_name', v_name));
        v_first_event := coalesce(v_first_event, v_event);
    END IF;
    IF v_old_key IS DISTINCT FROM v_new_key THEN
        v_event := chronicle.ddl_log_event(table_id, 'ALTER KEY',
            pg_catalog.jsonb_build_object('old_key', v_version.key_columns, 'new_key', v_key));
        v_first_event := coalesce(v_first_event, v_event);
    END IF;

    -- Partitions created or attached: their rows joined the table. Partitions detached: theirs left it.
    FOR v_part IN
        SELECT p.relid::pg_catalog.regclass AS relation, p.isleaf,
               pg_catalog.format('%I.%I', n.nspname, c.relname) AS name,
               EXISTS (SELECT FROM pg_catalog.pg_trigger AS t
                       WHERE t.tgrelid = p.relid AND t.tgname = 'chronicle_capture_insert') AS captured
        FROM pg_catalog.pg_partition_tree(relation) AS p
        JOIN pg_catalog.pg_class AS c ON c.oid = p.relid
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        WHERE p.relid <> relation::oid
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS t
                          WHERE t.tgrelid = p.relid AND t.tgname = 'chronicle_capture_insert' AND t.tgfoid = v_function)
        ORDER BY p.level, p.relid
    LOOP
        IF v_part.captured THEN
            RAISE EXCEPTION 'cannot attach audited table % to audited table %.%', v_part.relation,
                            pg_catalog.quote_ident(v_schema), pg_catalog.quote_ident(v_name)
                USING ERRCODE = '0A000',
                      HINT = 'Stop auditing it first with chronicle.drop_table_audit; its rows are then logged as they join the table.';
        END IF;
        IF v_part.isleaf THEN
            v_event := chronicle.ddl_log_rows(table_id, v_part.relation, true, 'ATTACH PARTITION',
                                              pg_catalog.jsonb_build_object('partition', v_part.name), NULL, true);
            v_first_event := coalesce(v_first_event, v_event);
        END IF;
    END LOOP;
    FOR v_part IN
        -- detached: relations that still carry this table's triggers but are no longer in its tree
        SELECT c.oid::pg_catalog.regclass AS relation, c.relkind, pg_catalog.format('%I.%I', n.nspname, c.relname) AS name
        FROM pg_catalog.pg_trigger AS t
        JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        WHERE t.tgfoid = v_function AND t.tgname = 'chronicle_capture_insert' AND t.tgrelid <> relation::oid
          AND t.tgrelid NOT IN (SELECT p.relid FROM pg_catalog.pg_partition_tree(relation) AS p)
        ORDER BY c.oid
    LOOP
        IF v_part.relkind = 'r' THEN
            v_event := chronicle.ddl_log_rows(table_id, v_part.relation, true, 'DETACH PARTITION',
                                              pg_catalog.jsonb_build_object('partition', v_part.name), NULL, false);
            v_first_event := coalesce(v_first_event, v_event);
        END IF;
        -- every capture trigger (install_capture's names), not only those calling the capture function
        FOR v_trigger IN
            SELECT t.tgname FROM pg_catalog.pg_trigger AS t
            WHERE t.tgrelid = v_part.relation AND t.tgname LIKE 'chronicle\_capture\_%' AND NOT t.tgisinternal
        LOOP
            EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', v_trigger, v_part.relation);
        END LOOP;
    END LOOP;

    -- New versions: columns whose catalog entry changed, and the table if its name or key did. The
    -- statement's first DDL event divides them: earlier events belong to the old versions, it and
    -- later ones to the new.
    WITH changes AS (
        SELECT ch.* FROM chronicle.ddl_column_changes(table_id, relation) AS ch
    ), closed AS (
        UPDATE chronicle.audit_column_log AS c
        SET valid_until = v_transaction_id, valid_until_event = v_first_event
        FROM changes AS ch
        WHERE c.id = ch.version_id
    )
    INSERT INTO chronicle.audit_column_log
        (table_id, column_name, ordinal_position, data_type, column_default, not_null, generated, identity, valid_from, valid_from_event)
    SELECT ddl_sync_table.table_id, ch.new_name, ch.attnum, ch.new_type, ch.new_default, ch.new_not_null, ch.new_generated, ch.new_identity,
           v_transaction_id, v_first_event
    FROM changes AS ch
    WHERE ch.new_name IS NOT NULL;

    IF (v_schema, v_name, v_key, v_excluded)
       <> (v_version.schema_name, v_version.table_name, v_version.key_columns, v_version.excluded_columns) THEN
        UPDATE chronicle.audit_table_log AS t
        SET valid_until = v_transaction_id, valid_until_event = v_first_event
        WHERE t.id = v_version.id;
        INSERT INTO chronicle.audit_table_log
            (table_id, schema_name, table_name, key_columns, log_old_data, log_new_data, excluded_columns,
             valid_from, valid_from_event)
        VALUES (table_id, v_schema, v_name, v_key, v_version.log_old_data, v_version.log_new_data, v_excluded,
                v_transaction_id, v_first_event);
    END IF;

    PERFORM chronicle.install_capture(table_id, relation);
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_sync_table(integer, regclass, text) IS
    'Internal, for DDL capture: logs the structure changes of one audited table and regenerates its capture function.';

-- ==== functions (src/sql/functions/ddl/sync_table_structure.sql)
-- Records the structure an audited table has now, for changes DDL capture did not see (it is off
-- where the extension was installed without a superuser, or when its event triggers are
-- disabled): new table and column versions, one DDL event per change, and the capture function
-- generated again, so that writes are logged with the table's shape. Values of columns dropped or
-- retyped meanwhile were not logged: their events say "values_logged": false. With DDL capture
-- on there is nothing to record. Either way, a capture function written by an earlier version of
-- chronicle is generated again (after ALTER EXTENSION UPDATE); otherwise nothing changes.
CREATE FUNCTION chronicle.sync_table_structure(table_name regclass)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_table_id integer;
    v_last_event bigint;
BEGIN
    IF table_name IS NULL THEN
        RAISE EXCEPTION 'table_name must not be NULL' USING ERRCODE = '22004';
    END IF;
    EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', table_name);
    -- found by its capture triggers, so a table renamed unseen is found too
    SELECT r.table_id INTO v_table_id
    FROM chronicle.ddl_audited_relations() AS r
    WHERE r.relation = table_name AND r.is_table;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % is not audited', table_name
            USING ERRCODE = '55000', HINT = 'Start auditing it with chronicle.create_table_audit.';
    END IF;
    SELECT coalesce(pg_catalog.max(e.id), 0) INTO v_last_event FROM chronicle.table_event_log AS e WHERE e.table_id = v_table_id;
    PERFORM chronicle.ddl_sync_table(v_table_id, table_name, NULL);
    RETURN (SELECT pg_catalog.count(*) FROM chronicle.table_event_log AS e WHERE e.table_id = v_table_id AND e.id > v_last_event);
END
$function$;

COMMENT ON FUNCTION chronicle.sync_table_structure(regclass) IS
    'Records the structure an audited table has now (changes DDL capture did not see) and regenerates its capture function when that changed or an earlier version of chronicle wrote it; returns the number of DDL events logged.';

-- ==== functions (src/sql/functions/history/as_of.sql)
-- Reading the past (docs/time-travel.md): as_of and restore_recordset. Each takes a point as a
-- mark name or a timestamp (text), a timestamptz, or a transaction_log id (bigint); see cut.sql.
-- They run as the caller, who needs to read the log (chronicle_viewer) and the table.

-- The table_id of an audited table, by its current name.
CREATE FUNCTION chronicle.history_table_id(relation regclass)
RETURNS integer
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_table_id integer;
BEGIN
    IF relation IS NULL THEN
        RAISE EXCEPTION 'the table is NULL' USING ERRCODE = 'null_value_not_allowed', HINT = 'Name an audited table.';
    END IF;
    SELECT v.table_id INTO v_table_id
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN chronicle.audit_table_log AS v ON v.schema_name = n.nspname AND v.table_name = c.relname AND v.valid_until IS NULL
    WHERE c.oid = relation;
    IF v_table_id IS NULL THEN
        RAISE EXCEPTION 'table % is not audited', relation
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'chronicle keeps the history of audited tables only (chronicle.audited_tables); a dropped one is rebuilt with chronicle.restore_schema_state.';
    END IF;
    RETURN v_table_id;
END
$function$;

-- The rows of an audited table at a cut, in today's row type (columns added later and columns
-- not logged are NULL).
CREATE FUNCTION chronicle.as_of_cut(relation anyelement, cut chronicle.cut)
RETURNS SETOF anyelement
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
-- a state sorts and hashes every changed row once: in memory, not in temporary files
SET work_mem = '64MB'
AS $function$
DECLARE
    v_relation regclass;
BEGIN
    SELECT t.typrelid::regclass INTO v_relation
    FROM pg_catalog.pg_type AS t JOIN pg_catalog.pg_class AS c ON c.oid = t.typrelid AND c.relkind IN ('r', 'p')
    WHERE t.oid = pg_catalog.pg_typeof(relation);
    IF v_relation IS NULL THEN
        RAISE EXCEPTION 'as_of takes a row of an audited table, not %', pg_catalog.pg_typeof(relation)
            USING ERRCODE = 'wrong_object_type', HINT = 'Pass the table''s row type, e.g. chronicle.as_of(NULL::public.orders, ''2026-11-01'').';
    END IF;
    RETURN QUERY EXECUTE chronicle.state_query(chronicle.history_table_id(v_relation), cut, 'now');
END
$function$;

CREATE FUNCTION chronicle.as_of(relation anyelement, point text)
RETURNS SETOF anyelement
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT * FROM chronicle.as_of_cut(relation, chronicle.cut(point))
$function$;

CREATE FUNCTION chronicle.as_of(relation anyelement, point timestamptz)
RETURNS SETOF anyelement
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT * FROM chronicle.as_of_cut(relation, chronicle.cut(point))
$function$;

CREATE FUNCTION chronicle.as_of(relation anyelement, point bigint)
RETURNS SETOF anyelement
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT * FROM chronicle.as_of_cut(relation, chronicle.cut(point))
$function$;

-- The jsonb of a row of a state in the table's shape then (a row of state_query(..., 'then')
-- named row_alias), with values as the log writes them: to_jsonb's form, or the text form where
-- to_jsonb would lose part of a value (float -0, array lower bounds; see capture_value.sql), so
-- that jsonb_populate_record reads every value back exactly. Run it with the settings of the
-- capture (extra_float_digits and the others), as state_rows_jsonb and state_row do.
CREATE FUNCTION chronicle.state_jsonb_expression(table_id integer, cut chronicle.cut, row_alias text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_corrections text;
BEGIN
    SELECT pg_catalog.string_agg(' || ' || chronicle.capture_text_correction(x.column_name, x.condition, x.value), '' ORDER BY x.n)
    INTO v_corrections
    FROM (SELECT c.n, c.column_name, pg_catalog.format('%s.%I', row_alias, c.column_name) AS value,
                 chronicle.capture_lossy_condition(c.data_type::pg_catalog.regtype, pg_catalog.format('%s.%I', row_alias, c.column_name)) AS condition
          FROM chronicle.state_columns(table_id, cut) WITH ORDINALITY AS c(column_name, data_type, logged, current_name, n)) AS x
    WHERE x.condition IS NOT NULL;
    RETURN pg_catalog.format('(pg_catalog.to_jsonb(%s.*)%s)', row_alias, coalesce(v_corrections, ''));
END
$function$;

-- The rows of an audited table at a cut as jsonb, in the table's shape then: the columns of the
-- time under their names of the time (columns not logged are null).
CREATE FUNCTION chronicle.state_rows_jsonb(table_id integer, cut chronicle.cut)
RETURNS SETOF jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
-- a state sorts and hashes every changed row once: in memory, not in temporary files
SET work_mem = '64MB'
AS $function$
BEGIN
    RETURN QUERY EXECUTE pg_catalog.format('SELECT %s FROM (%s) AS s', chronicle.state_jsonb_expression(table_id, cut, 's'),
                                           chronicle.state_query(table_id, cut, 'then'));
END
$function$;

CREATE FUNCTION chronicle.restore_recordset(relation regclass, point text)
RETURNS SETOF jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT * FROM chronicle.state_rows_jsonb(chronicle.history_table_id(relation), chronicle.cut(point))
$function$;

CREATE FUNCTION chronicle.restore_recordset(relation regclass, point timestamptz)
RETURNS SETOF jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT * FROM chronicle.state_rows_jsonb(chronicle.history_table_id(relation), chronicle.cut(point))
$function$;

CREATE FUNCTION chronicle.restore_recordset(relation regclass, point bigint)
RETURNS SETOF jsonb
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT * FROM chronicle.state_rows_jsonb(chronicle.history_table_id(relation), chronicle.cut(point))
$function$;

COMMENT ON FUNCTION chronicle.history_table_id(regclass) IS 'Internal, for time travel: the table_id of an audited table.';
COMMENT ON FUNCTION chronicle.as_of_cut(anyelement, chronicle.cut) IS 'Internal: as_of at a cut.';
COMMENT ON FUNCTION chronicle.as_of(anyelement, text) IS
    'The rows of an audited table at a point (a mark name or a timestamp), in today''s row type: SELECT * FROM chronicle.as_of(NULL::public.orders, ''2026-11-01'').';
COMMENT ON FUNCTION chronicle.as_of(anyelement, timestamptz) IS 'The rows of an audited table at a timestamp, in today''s row type.';
COMMENT ON FUNCTION chronicle.as_of(anyelement, bigint) IS 'The rows of an audited table right after a transaction (a transaction_log id), in today''s row type.';
COMMENT ON FUNCTION chronicle.state_jsonb_expression(integer, chronicle.cut, text) IS 'Internal: the jsonb of a row of a state in its shape then, values as the log writes them.';
COMMENT ON FUNCTION chronicle.state_rows_jsonb(integer, chronicle.cut) IS 'Internal: the rows of an audited table at a cut, as jsonb in its shape then.';
COMMENT ON FUNCTION chronicle.restore_recordset(regclass, text) IS
    'The rows of an audited table at a point (a mark name or a timestamp), as jsonb in the table''s shape then.';
COMMENT ON FUNCTION chronicle.restore_recordset(regclass, timestamptz) IS 'The rows of an audited table at a timestamp, as jsonb in its shape then.';
COMMENT ON FUNCTION chronicle.restore_recordset(regclass, bigint) IS 'The rows of an audited table right after a transaction, as jsonb in its shape then.';

-- ==== functions (src/sql/functions/history/cut.sql)
-- Points in time and the cuts they resolve to (docs/time-travel.md, "Points in time").
--
-- A point is a mark name, a timestamptz or a transaction_log id. Three overloads take them. An
-- untyped literal such as '2026-11-01' resolves to the text overload (PostgreSQL prefers the
-- string category for unknown literals), which reads it as a timestamp whenever it is one: mark
-- names that could be read as a timestamp are refused by set_mark, so a literal never means a
-- mark by accident.

-- a timestamp: the transactions that had committed by then (in commit order, committed_at)
CREATE FUNCTION chronicle.cut(point timestamptz)
RETURNS chronicle.cut
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF point IS NULL THEN
        RAISE EXCEPTION 'the point in time is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a mark name, a timestamptz or a chronicle.transaction_log id.';
    END IF;
    IF point > pg_catalog.clock_timestamp() THEN
        RAISE EXCEPTION 'the point in time % is in the future', point
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'What commits before that time is not known yet; use now() for the present state.';
    END IF;
    RETURN ROW(pg_catalog.format('timestamp %s', point), NULL, NULL, point, NULL)::chronicle.cut;
END
$function$;

-- a transaction id: that transaction and every transaction that committed before it
CREATE FUNCTION chronicle.cut(point bigint)
RETURNS chronicle.cut
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_committed_at timestamptz;
    v_is_current boolean;
BEGIN
    IF point IS NULL THEN
        RAISE EXCEPTION 'the point in time is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a mark name, a timestamptz or a chronicle.transaction_log id.';
    END IF;
    -- the caller's own transaction is found as log_transaction finds it (txid and start time)
    SELECT t.committed_at,
           t.txid = pg_catalog.pg_current_xact_id_if_assigned() AND t.started_at = pg_catalog.transaction_timestamp()
    INTO v_committed_at, v_is_current
    FROM chronicle.transaction_log AS t WHERE t.id = point;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'transaction % is not in chronicle.transaction_log', point
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A transaction point is a chronicle.transaction_log id.';
    END IF;
    -- the caller's own transaction has not committed, even when SET CONSTRAINTS ALL IMMEDIATE
    -- has stamped it early
    IF v_committed_at IS NULL OR v_is_current THEN
        RAISE EXCEPTION 'transaction % has not committed', point
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A point is a committed transaction; this is the current one.';
    END IF;
    RETURN ROW(pg_catalog.format('transaction %s', point), NULL, NULL, v_committed_at, point)::chronicle.cut;
END
$function$;

-- text: a timestamp if it reads as one, else a mark name
CREATE FUNCTION chronicle.cut(point text)
RETURNS chronicle.cut
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_timestamp timestamptz := chronicle.as_timestamp(point);
    v_mark chronicle.mark;
BEGIN
    IF point IS NULL THEN
        RAISE EXCEPTION 'the point in time is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a mark name, a timestamptz or a chronicle.transaction_log id.';
    END IF;
    IF v_timestamp IS NOT NULL THEN
        RETURN chronicle.cut(v_timestamp);
    END IF;
    SELECT * INTO v_mark FROM chronicle.mark AS m WHERE m.name = point;
    -- no mark reads as an integer (set_mark refuses such names): this was meant as a transaction
    IF NOT FOUND AND point ~ '^\s*[-+]?[0-9]+\s*$' THEN
        RAISE EXCEPTION 'there is no mark "%"', point
            USING ERRCODE = 'undefined_object',
                  HINT = pg_catalog.format('A transaction point is passed as a number, not as text: chronicle.cut(%s).', pg_catalog.btrim(point));
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'there is no mark "%"', point
            USING ERRCODE = 'undefined_object',
                  HINT = 'A point is a mark name (chronicle.mark), a timestamptz or a chronicle.transaction_log id.';
    END IF;
    RETURN ROW(pg_catalog.format('mark "%s"', point), v_mark.snapshot, v_mark.last_transaction_id, NULL, NULL)::chronicle.cut;
END
$function$;

-- the text as a timestamptz, or NULL when it is not one (in the session's DateStyle and TimeZone,
-- as a cast would read it)
CREATE FUNCTION chronicle.as_timestamp(value text)
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN value::timestamptz;
EXCEPTION WHEN data_exception THEN
    RETURN NULL;
END
$function$;

-- The transaction_log ids after the cut (the changes a state at the cut undoes), read through
-- the indexes: by id and txid for a mark, by commit time for the others. The caller's own
-- transaction, which has not committed, is after every cut.
CREATE FUNCTION chronicle.transactions_after(cut chronicle.cut)
RETURNS SETOF bigint
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT t.id FROM chronicle.transaction_log AS t
    WHERE cut.snapshot IS NOT NULL AND t.id > cut.last_transaction_id
    UNION
    SELECT t.id FROM chronicle.transaction_log AS t
    WHERE cut.snapshot IS NOT NULL AND t.id <= cut.last_transaction_id
      AND t.txid >= pg_catalog.pg_snapshot_xmin(cut.snapshot)
      AND NOT pg_catalog.pg_visible_in_snapshot(t.txid, cut.snapshot)
    UNION
    SELECT t.id FROM chronicle.transaction_log AS t
    WHERE cut.snapshot IS NULL AND t.committed_at >= cut.committed_until
      AND (t.committed_at > cut.committed_until OR t.id > cut.through_transaction_id)
    UNION
    -- found as log_transaction finds it (txid and start time), not by a NULL committed_at:
    -- SET CONSTRAINTS ALL IMMEDIATE stamps a transaction before it commits
    SELECT t.id FROM chronicle.transaction_log AS t
    WHERE t.txid = pg_catalog.pg_current_xact_id_if_assigned() AND t.started_at = pg_catalog.transaction_timestamp()
$function$;

-- whether one transaction is in the cut (before or at the point); plpgsql, so that its plan is
-- cached: it is called for every version of a table and its columns
CREATE FUNCTION chronicle.in_cut(cut chronicle.cut, transaction_id bigint)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_transaction record;
BEGIN
    SELECT t.id, t.txid, t.started_at, t.committed_at INTO v_transaction
    FROM chronicle.transaction_log AS t WHERE t.id = in_cut.transaction_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN CASE
        WHEN v_transaction.committed_at IS NULL THEN false
        -- the caller's own transaction, stamped early by SET CONSTRAINTS ALL IMMEDIATE
        WHEN v_transaction.txid = pg_catalog.pg_current_xact_id_if_assigned()
             AND v_transaction.started_at = pg_catalog.transaction_timestamp() THEN false
        WHEN cut.snapshot IS NOT NULL
            THEN v_transaction.id <= cut.last_transaction_id AND pg_catalog.pg_visible_in_snapshot(v_transaction.txid, cut.snapshot)
        ELSE v_transaction.committed_at < cut.committed_until
             OR (v_transaction.committed_at = cut.committed_until AND v_transaction.id <= coalesce(cut.through_transaction_id, v_transaction.id))
        END;
END
$function$;

COMMENT ON FUNCTION chronicle.cut(timestamptz) IS 'The cut of a timestamp: the transactions committed by then.';
COMMENT ON FUNCTION chronicle.cut(bigint) IS 'The cut of a transaction_log id: it and the transactions committed before it.';
COMMENT ON FUNCTION chronicle.cut(text) IS 'The cut of a point given as text: a timestamp if it reads as one, else a mark name.';
COMMENT ON FUNCTION chronicle.as_timestamp(text) IS 'Internal: the text as a timestamptz, NULL if it is not one.';
COMMENT ON FUNCTION chronicle.transactions_after(chronicle.cut) IS 'The chronicle.transaction_log ids after a cut.';
COMMENT ON FUNCTION chronicle.in_cut(chronicle.cut, bigint) IS 'Whether a chronicle.transaction_log id is in a cut.';

-- ==== functions (src/sql/functions/history/marks.sql)
-- Marks: named points in time (docs/time-travel.md). A mark keeps the snapshot of the
-- transaction that set it: its cut is exactly the transactions visible in that snapshot, so
-- setting one locks nothing and never waits for writers. To copy tables in the same snapshot
-- (as the tests do), set the mark in a REPEATABLE READ transaction and copy in it.
CREATE FUNCTION chronicle.set_mark(name text, comment text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_date_style text := pg_catalog.current_setting('DateStyle');
    v_field_order text;
    v_reads_as_timestamp boolean := false;
    v_id bigint;
BEGIN
    IF name IS NULL OR pg_catalog.btrim(name) = '' THEN
        RAISE EXCEPTION 'a mark needs a name'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass a name, e.g. chronicle.set_mark(''before-import'').';
    END IF;
    -- in every DateStyle field order, not only the caller's: '13/01/2026' is no timestamp in
    -- MDY but one in DMY, where a point given as that text must not mean this mark
    FOREACH v_field_order IN ARRAY ARRAY['MDY', 'DMY', 'YMD'] LOOP
        PERFORM pg_catalog.set_config('DateStyle', 'ISO, ' || v_field_order, true);
        v_reads_as_timestamp := v_reads_as_timestamp OR chronicle.as_timestamp(name) IS NOT NULL;
    END LOOP;
    PERFORM pg_catalog.set_config('DateStyle', v_date_style, true);
    IF v_reads_as_timestamp OR name ~ '^\s*[-+]?[0-9]+\s*$' THEN
        RAISE EXCEPTION 'the mark name "%" reads as a timestamp or a transaction id', name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A point given as text is a timestamp whenever it reads as one; choose a name that does not, e.g. a word.';
    END IF;
    -- found as log_transaction finds it (txid and start time), not by a NULL committed_at:
    -- SET CONSTRAINTS ALL IMMEDIATE stamps a transaction before it commits
    IF EXISTS (SELECT FROM chronicle.transaction_log AS t
               WHERE t.txid = pg_catalog.pg_current_xact_id_if_assigned()
                 AND t.started_at = pg_catalog.transaction_timestamp()) THEN
        RAISE EXCEPTION 'this transaction has already changed audited tables'
            USING ERRCODE = 'invalid_transaction_state',
                  HINT = 'Set the mark before the changes or in a transaction of its own: a mark comes before the changes of the transaction that sets it.';
    END IF;
    IF EXISTS (SELECT FROM chronicle.mark AS m WHERE m.name = set_mark.name) THEN
        RAISE EXCEPTION 'mark "%" already exists', name
            USING ERRCODE = 'duplicate_object', HINT = 'Choose another name, or chronicle.delete_mark the old one first.';
    END IF;
    -- The snapshot and the largest id it sees come from one statement, so last_transaction_id is
    -- exactly what the snapshot saw (in READ COMMITTED each statement takes a new snapshot).
    BEGIN
        INSERT INTO chronicle.mark (name, snapshot, last_transaction_id, set_at, set_by, comment)
        SELECT set_mark.name, pg_catalog.pg_current_snapshot(), coalesce(pg_catalog.max(t.id), 0),
               pg_catalog.clock_timestamp(), session_user, set_mark.comment
        FROM chronicle.transaction_log AS t
        RETURNING id INTO v_id;
    EXCEPTION WHEN unique_violation THEN
        -- set by a concurrent transaction since the check above
        RAISE EXCEPTION 'mark "%" already exists', name
            USING ERRCODE = 'duplicate_object', HINT = 'Choose another name, or chronicle.delete_mark the old one first.';
    END;
    RETURN v_id;
END
$function$;

CREATE FUNCTION chronicle.delete_mark(name text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    DELETE FROM chronicle.mark AS m WHERE m.name = delete_mark.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'there is no mark "%"', name
            USING ERRCODE = 'undefined_object', HINT = 'The marks are listed in chronicle.mark.';
    END IF;
END
$function$;

COMMENT ON FUNCTION chronicle.set_mark(text, text) IS
    'Sets a named point in time over all audited tables; returns its id.';
COMMENT ON FUNCTION chronicle.delete_mark(text) IS 'Deletes a mark.';

-- ==== functions (src/sql/functions/history/restore_record.sql)
-- One row's past (docs/time-travel.md, "One row"): restore_record at a point, restore_records for
-- every version. A row is named by its key at the point, as a jsonb object of the key columns.

-- The key object as the log writes it: each value cast to its column's type then and written
-- back by to_jsonb, so {"day": "2026-11-01"} finds a date key however the caller spelled it.
CREATE FUNCTION chronicle.state_key(table_id integer, cut chronicle.cut, key jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
AS $function$
DECLARE
    v_version chronicle.audit_table_log := chronicle.state_version(table_id, cut);
    v_columns text;
    v_key jsonb;
BEGIN
    IF key IS NULL OR pg_catalog.jsonb_typeof(key) <> 'object'
       OR (SELECT pg_catalog.array_agg(k ORDER BY k) FROM pg_catalog.jsonb_object_keys(key) AS k)
          IS DISTINCT FROM (SELECT pg_catalog.array_agg(k::text ORDER BY k::text) FROM pg_catalog.unnest(v_version.key_columns) AS k) THEN
        RAISE EXCEPTION 'the key % does not name a row of %.%', key, v_version.schema_name, v_version.table_name
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = pg_catalog.format('Pass a JSON object of the row key columns at that point, %s, e.g. %s.',
                                           v_version.key_columns, (SELECT pg_catalog.jsonb_object_agg(k, '...') FROM pg_catalog.unnest(v_version.key_columns) AS k));
    END IF;
    SELECT pg_catalog.string_agg(pg_catalog.format('%I %s', c.column_name, c.data_type), ', ')
    INTO v_columns
    FROM chronicle.state_columns(table_id, cut) AS c
    WHERE c.column_name = ANY (v_version.key_columns);
    EXECUTE pg_catalog.format('SELECT pg_catalog.to_jsonb(x.*) FROM pg_catalog.jsonb_to_record($1) AS x(%s)', v_columns) INTO v_key USING key;
    RETURN v_key;
END
$function$;

-- One row at a cut in today's row type, found through the row_log index on its key: its entries
-- after the cut, newest first, laid over the row now (jsonb_populate_record with the row as its
-- base) or over the image of its delete. NULL when that cannot tell: when the row's key changed
-- after the cut (the entry that moved it away is logged under its new key), when it was inserted
-- or moved here later or is gone (no row may have had the key then), or when the table's shape
-- changed; the callers then take the row from the whole state. key is as the log writes it.
CREATE FUNCTION chronicle.state_row_fast(relation anyelement, table_id integer, cut chronicle.cut,
                                                    version chronicle.audit_table_log, key jsonb)
RETURNS anyelement
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
AS $function$
DECLARE
    v_relation regclass;
    v_first_kind text;
    v_end_kind text;
    v_end_data jsonb;
    v_updates jsonb;
    v_unlogged jsonb;
    v_result ALIAS FOR $0;
BEGIN
    IF EXISTS (SELECT FROM chronicle.state_shape_events(table_id, cut)) THEN
        RETURN NULL;
    END IF;
    -- the row's entries after the cut in the log's order, up to the first delete or arrival
    WITH entries AS (
        SELECT e.id AS event_id, e.statement_order, e.nesting_depth,
               pg_catalog.max(e.id) OVER (PARTITION BY e.transaction_id) AS transaction_order,
               CASE WHEN e.operation IN ('INSERT', 'ATTACH PARTITION') THEN 'a'
                    WHEN e.operation IN ('DELETE', 'TRUNCATE', 'DROP TABLE', 'DETACH PARTITION', 'DROP PARTITION') THEN 'd'
                    WHEN r.old_data ?| version.key_columns::text[] THEN 'a'  -- moved here from another key
                    ELSE 'u' END AS kind,
               r.old_data
        FROM chronicle.row_log AS r
        JOIN chronicle.table_event_log AS e ON e.id = r.event_id
        WHERE r.table_id = state_row_fast.table_id AND pg_catalog.jsonb_hash(r.row_key) = pg_catalog.jsonb_hash(key) AND r.row_key = key
          AND e.operation IN ('INSERT', 'ATTACH PARTITION', 'DELETE', 'TRUNCATE', 'DROP TABLE', 'DETACH PARTITION', 'DROP PARTITION',
                              'UPDATE', 'DROP COLUMN', 'ALTER COLUMN TYPE', 'ALTER COLUMN EXPRESSION')
          AND NOT coalesce(chronicle.in_cut(cut, e.transaction_id), false)
    ), ordered AS (
        SELECT x.*, pg_catalog.row_number() OVER (ORDER BY x.transaction_order, x.statement_order, x.nesting_depth, x.event_id) AS pos
        FROM entries AS x
    ), first_segment AS (
        SELECT o.* FROM ordered AS o
        WHERE o.pos <= coalesce((SELECT pg_catalog.min(b.pos) FROM ordered AS b WHERE b.kind <> 'u'), 9223372036854775807)
    )
    SELECT (SELECT o.kind FROM ordered AS o ORDER BY o.pos LIMIT 1),
           (SELECT f.kind FROM first_segment AS f WHERE f.kind <> 'u'),
           (SELECT f.old_data FROM first_segment AS f WHERE f.kind = 'd'),
           (SELECT chronicle.jsonb_merge(f.old_data ORDER BY f.pos DESC) FROM first_segment AS f WHERE f.kind = 'u')
    INTO v_first_kind, v_end_kind, v_end_data, v_updates;
    IF v_first_kind = 'a' OR v_end_kind = 'a' THEN
        RETURN NULL;
    END IF;

    -- columns the log does not hold are NULL
    SELECT pg_catalog.jsonb_object_agg(a.attname, NULL) INTO v_unlogged
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = (SELECT t.typrelid FROM pg_catalog.pg_type AS t WHERE t.oid = pg_catalog.pg_typeof(relation))
      AND a.attnum > 0 AND NOT a.attisdropped
      AND (a.attname = ANY (version.excluded_columns) OR a.attgenerated = 'v');
    v_updates := coalesce(v_updates, '{}') || coalesce(v_unlogged, '{}');
    IF v_end_kind = 'd' THEN
        RETURN pg_catalog.jsonb_populate_record(relation, v_end_data || v_updates);
    END IF;
    -- untouched since the cut, or updated only: laid over the row now, if it is still there
    SELECT t.typrelid::regclass INTO v_relation FROM pg_catalog.pg_type AS t WHERE t.oid = pg_catalog.pg_typeof(relation);
    EXECUTE pg_catalog.format('SELECT (pg_catalog.jsonb_populate_record(chronicle_row, $2)).* FROM %s AS chronicle_row WHERE %s', v_relation,
                              (SELECT pg_catalog.string_agg(pg_catalog.format('chronicle_row.%I = ($1 ->> %L)::%s', k, k, pg_catalog.format_type(a.atttypid, a.atttypmod)), ' AND ')
                               FROM pg_catalog.unnest(version.key_columns) AS k
                               JOIN pg_catalog.pg_attribute AS a ON a.attrelid = v_relation AND a.attname = k AND NOT a.attisdropped))
    INTO v_result USING key, v_updates;
    RETURN v_result;
END
$function$;

-- The key slots whose entries decide the row that had key at the cut: its own, and every key a
-- row moved to from a slot of the set after the cut (an UPDATE that changed a key is logged under
-- the new key, with the old key columns in old_data). NULL when the shape of the table changed
-- after the cut (its entries then name key columns otherwise): the caller reads the whole state.
-- Finding the moves reads the entries after the cut, not the table.
CREATE FUNCTION chronicle.state_row_slots(table_id integer, cut chronicle.cut, key_columns name[], key jsonb)
RETURNS jsonb[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_slots jsonb[];
BEGIN
    IF EXISTS (SELECT FROM chronicle.state_shape_events(table_id, cut)) THEN
        RETURN NULL;
    END IF;
    WITH RECURSIVE later_updates AS MATERIALIZED (
        SELECT e.id FROM chronicle.table_event_log AS e
        WHERE e.table_id = state_row_slots.table_id AND e.operation = 'UPDATE'
          AND e.transaction_id IN (SELECT chronicle.transactions_after(cut))
    ), moves AS MATERIALIZED (
        SELECT r.row_key AS new_key,
               r.row_key || (SELECT pg_catalog.jsonb_object_agg(k, coalesce(r.old_data -> k, r.row_key -> k))
                             FROM pg_catalog.unnest(key_columns::text[]) AS k) AS old_key
        FROM chronicle.row_log AS r
        -- one range scan of the event_id BRIN index, not one per event
        WHERE r.event_id BETWEEN (SELECT pg_catalog.min(u.id) FROM later_updates AS u) AND (SELECT pg_catalog.max(u.id) FROM later_updates AS u)
          AND r.event_id = ANY (ARRAY(SELECT u.id FROM later_updates AS u))
          AND r.old_data ?| key_columns::text[]
    ), slots(slot) AS (
        SELECT key
        UNION
        SELECT m.new_key FROM moves AS m JOIN slots AS s ON m.old_key = s.slot
    )
    SELECT pg_catalog.array_agg(s.slot) INTO v_slots FROM slots AS s;
    RETURN v_slots;
END
$function$;

-- The row with the key (its key columns then) from the state at the cut, in either shape of
-- state_query, as the query for EXECUTE ... USING key: built from the entries of slots only
-- (state_row_slots), or from the whole state when slots is NULL.
CREATE FUNCTION chronicle.state_row_query(table_id integer, cut chronicle.cut, shape text, result text, slots jsonb[])
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.format('SELECT %s FROM (%s) AS s WHERE %s', result, chronicle.state_query(table_id, cut, shape, slots),
                             pg_catalog.string_agg(pg_catalog.format('s.%I = ($1 ->> %L)::%s',
                                                                     CASE WHEN shape = 'now' THEN c.current_name ELSE c.column_name END,
                                                                     c.column_name, c.data_type), ' AND '))
    FROM chronicle.state_columns(table_id, cut) AS c
    WHERE c.column_name = ANY ((chronicle.state_version(table_id, cut)).key_columns)
$function$;

-- One row at a cut as jsonb in the table's shape then (as restore_recordset writes rows), or NULL.
CREATE FUNCTION chronicle.state_row(table_id integer, cut chronicle.cut, key jsonb)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
AS $function$
DECLARE
    v_version chronicle.audit_table_log := chronicle.state_version(table_id, cut);
    v_key jsonb := chronicle.state_key(table_id, cut, key);
    v_relation regclass;
    v_result jsonb;
BEGIN
    SELECT pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.schema_name, v.table_name)) INTO v_relation
    FROM chronicle.audit_table_log AS v WHERE v.table_id = state_row.table_id AND v.valid_until IS NULL;
    IF v_relation IS NOT NULL THEN
        -- a row of NULLs is no row: its key is never NULL (its key columns may have other names
        -- now, so no column is named); values as the log writes them (see state_jsonb_expression)
        EXECUTE pg_catalog.format('SELECT pg_catalog.to_jsonb(r.*)%s FROM chronicle.state_row_fast(NULL::%s, $1, $2, $3, $4) AS r WHERE NOT (r IS NULL)',
                                  chronicle.capture_row_corrections(v_relation, 'r', '{}'), v_relation)
        INTO v_result USING table_id, cut, v_version, v_key;
    END IF;
    IF v_result IS NULL THEN
        EXECUTE chronicle.state_row_query(table_id, cut, 'then', chronicle.state_jsonb_expression(table_id, cut, 's'),
                                          chronicle.state_row_slots(table_id, cut, v_version.key_columns, v_key))
        INTO v_result USING v_key;
    END IF;
    RETURN v_result;
END
$function$;

-- A row at a cut in today's row type (columns added later and columns not logged are NULL).
CREATE FUNCTION chronicle.restore_record_at(relation anyelement, key jsonb, cut chronicle.cut)
RETURNS anyelement
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
AS $function$
DECLARE
    v_relation regclass;
    v_table_id integer;
    v_version chronicle.audit_table_log;
    v_key jsonb;
    v_result ALIAS FOR $0;
BEGIN
    SELECT t.typrelid::regclass INTO v_relation
    FROM pg_catalog.pg_type AS t JOIN pg_catalog.pg_class AS c ON c.oid = t.typrelid AND c.relkind IN ('r', 'p')
    WHERE t.oid = pg_catalog.pg_typeof(relation);
    IF v_relation IS NULL THEN
        RAISE EXCEPTION 'restore_record takes a row of an audited table, not %', pg_catalog.pg_typeof(relation)
            USING ERRCODE = 'wrong_object_type', HINT = 'Pass the table''s row type, e.g. chronicle.restore_record(NULL::public.orders, ''{"id": 1}'', ''2026-11-01'').';
    END IF;
    v_table_id := chronicle.history_table_id(v_relation);
    v_key := chronicle.state_key(v_table_id, cut, key);
    v_version := chronicle.state_version(v_table_id, cut);
    v_result := chronicle.state_row_fast(relation, v_table_id, cut, v_version, v_key);
    IF v_result IS NULL THEN
        EXECUTE chronicle.state_row_query(v_table_id, cut, 'now', 's.*', chronicle.state_row_slots(v_table_id, cut, v_version.key_columns, v_key))
        INTO v_result USING v_key;
    END IF;
    RETURN v_result;
END
$function$;

CREATE FUNCTION chronicle.restore_record(relation anyelement, key jsonb, point text)
RETURNS anyelement LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT chronicle.restore_record_at(relation, key, chronicle.cut(point)) $function$;

CREATE FUNCTION chronicle.restore_record(relation anyelement, key jsonb, point timestamptz)
RETURNS anyelement LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT chronicle.restore_record_at(relation, key, chronicle.cut(point)) $function$;

CREATE FUNCTION chronicle.restore_record(relation anyelement, key jsonb, point bigint)
RETURNS anyelement LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT chronicle.restore_record_at(relation, key, chronicle.cut(point)) $function$;

CREATE FUNCTION chronicle.restore_record_jsonb(relation regclass, key jsonb, point text)
RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT chronicle.state_row(chronicle.history_table_id(relation), chronicle.cut(point), key) $function$;

CREATE FUNCTION chronicle.restore_record_jsonb(relation regclass, key jsonb, point timestamptz)
RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT chronicle.state_row(chronicle.history_table_id(relation), chronicle.cut(point), key) $function$;

CREATE FUNCTION chronicle.restore_record_jsonb(relation regclass, key jsonb, point bigint)
RETURNS jsonb LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT chronicle.state_row(chronicle.history_table_id(relation), chronicle.cut(point), key) $function$;

-- Every version of the row that has (or last had) the key: one row per transaction that
-- inserted, updated or deleted it under that key, oldest first, with the row after the
-- transaction (NULL once deleted) in the table's shape of the time.
CREATE FUNCTION chronicle.restore_records(relation regclass, key jsonb)
RETURNS TABLE (transaction_id bigint, committed_at timestamptz, session_user_name text, application_name text,
               session_info jsonb, operations text[], row_data jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_table_id integer := chronicle.history_table_id(relation);
    v_key jsonb;
    v_transaction record;
BEGIN
    v_key := chronicle.state_key(v_table_id, ROW('now', NULL, NULL, pg_catalog.clock_timestamp(), NULL)::chronicle.cut, key);
    FOR v_transaction IN
        SELECT t.id, t.committed_at, t.session_user_name, t.application_name, t.session_info,
               pg_catalog.array_agg(e.operation::text ORDER BY e.statement_order, e.nesting_depth, e.id) AS operations,
               pg_catalog.max(e.id) AS last_event
        FROM chronicle.row_log AS r
        JOIN chronicle.table_event_log AS e ON e.id = r.event_id
        JOIN chronicle.transaction_log AS t ON t.id = e.transaction_id
        WHERE r.table_id = v_table_id AND pg_catalog.jsonb_hash(r.row_key) = pg_catalog.jsonb_hash(v_key) AND r.row_key = v_key
          AND e.operation NOT IN ('BASELINE', 'DDL PRE-IMAGE') AND t.committed_at IS NOT NULL
        GROUP BY t.id
        ORDER BY last_event
    LOOP
        transaction_id := v_transaction.id;
        committed_at := v_transaction.committed_at;
        session_user_name := v_transaction.session_user_name;
        application_name := v_transaction.application_name;
        session_info := v_transaction.session_info;
        operations := v_transaction.operations;
        row_data := chronicle.state_row(v_table_id, chronicle.cut(v_transaction.id), v_key);
        RETURN NEXT;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.state_key(integer, chronicle.cut, jsonb) IS 'Internal: a row key object as the log writes it.';
COMMENT ON FUNCTION chronicle.state_row_fast(anyelement, integer, chronicle.cut, chronicle.audit_table_log, jsonb) IS 'Internal: one row of an audited table at a cut read through the key index; NULL when that cannot tell.';
COMMENT ON FUNCTION chronicle.state_row_query(integer, chronicle.cut, text, text, jsonb[]) IS 'Internal: the query of one row of the state at a cut, from the entries of some slots or the whole state.';
COMMENT ON FUNCTION chronicle.state_row_slots(integer, chronicle.cut, name[], jsonb) IS 'Internal: the key slots whose entries decide one row at a cut.';
COMMENT ON FUNCTION chronicle.state_row(integer, chronicle.cut, jsonb) IS 'Internal: one row of an audited table at a cut, as jsonb in its shape then.';
COMMENT ON FUNCTION chronicle.restore_record_at(anyelement, jsonb, chronicle.cut) IS 'Internal: restore_record at a cut.';
COMMENT ON FUNCTION chronicle.restore_record(anyelement, jsonb, text) IS
    'One row of an audited table at a point (a mark name or a timestamp), by its key then, in today''s row type; NULL if there was none.';
COMMENT ON FUNCTION chronicle.restore_record(anyelement, jsonb, timestamptz) IS 'One row of an audited table at a timestamp, in today''s row type.';
COMMENT ON FUNCTION chronicle.restore_record(anyelement, jsonb, bigint) IS 'One row of an audited table right after a transaction, in today''s row type.';
COMMENT ON FUNCTION chronicle.restore_record_jsonb(regclass, jsonb, text) IS
    'One row of an audited table at a point (a mark name or a timestamp), by its key then, as jsonb in the table''s shape then.';
COMMENT ON FUNCTION chronicle.restore_record_jsonb(regclass, jsonb, timestamptz) IS 'One row of an audited table at a timestamp, as jsonb in its shape then.';
COMMENT ON FUNCTION chronicle.restore_record_jsonb(regclass, jsonb, bigint) IS 'One row of an audited table right after a transaction, as jsonb in its shape then.';
COMMENT ON FUNCTION chronicle.restore_records(regclass, jsonb) IS
    'Every version of a row of an audited table, by its key: one row per transaction that changed it, with the row after it.';

-- Every version of every row changed between two points: one row per transaction and row it
-- changed, with the row after the transaction (NULL once deleted), oldest first. Set-based: the
-- value of a row before each of its entries is the merge of the row now and of every later
-- entry's old values, newest first (a window over the row's entries), and the row after a
-- transaction is the value before the row's next entry. Rows are followed by key: a table whose
-- keys or shape changed after from_point is refused.
CREATE FUNCTION chronicle.restore_recordsets_at(table_id integer, from_cut chronicle.cut, to_cut chronicle.cut)
RETURNS TABLE (transaction_id bigint, committed_at timestamptz, row_key jsonb, operations text[], row_data jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
SET work_mem = '64MB'
AS $function$
DECLARE
    v_version chronicle.audit_table_log := chronicle.state_version(table_id, from_cut);
    v_relation regclass;
    v_current chronicle.audit_table_log;
BEGIN
    PERFORM chronicle.state_version(table_id, to_cut);
    SELECT * INTO v_current FROM chronicle.audit_table_log AS v WHERE v.table_id = restore_recordsets_at.table_id AND v.valid_until IS NULL;
    IF FOUND THEN
        v_relation := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_current.schema_name, v_current.table_name));
    END IF;
    IF v_relation IS NULL OR EXISTS (SELECT FROM chronicle.state_shape_events(table_id, from_cut)) THEN
        RAISE EXCEPTION 'the shape of %.% changed after %, or it was dropped', v_version.schema_name, v_version.table_name, (from_cut).description
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Versions of all rows are followed while the table keeps its columns; use restore_table_state at each point of interest instead.';
    END IF;
    IF EXISTS (SELECT FROM chronicle.table_event_log AS e
               JOIN chronicle.row_log AS r ON r.event_id = e.id
               WHERE e.table_id = restore_recordsets_at.table_id AND e.operation = 'UPDATE'
                 AND e.transaction_id IN (SELECT chronicle.transactions_after(from_cut))
                 AND r.old_data ?| v_version.key_columns::text[]) THEN
        RAISE EXCEPTION 'keys of %.% changed after %', v_version.schema_name, v_version.table_name, (from_cut).description
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Versions of all rows are followed by key; use restore_records for one row, or restore_table_state at each point of interest.';
    END IF;
    RETURN QUERY EXECUTE pg_catalog.format($query$
        WITH later_events AS MATERIALIZED (
            SELECT x.event_id, x.transaction_id, x.operation, x.class,
                   pg_catalog.row_number() OVER (ORDER BY x.transaction_order, x.statement_order, x.nesting_depth, x.event_id) AS pos
            FROM (SELECT e.id AS event_id, e.transaction_id, e.operation::text AS operation, e.statement_order, e.nesting_depth,
                         pg_catalog.max(e.id) OVER (PARTITION BY e.transaction_id) AS transaction_order,
                         CASE WHEN e.operation IN ('INSERT', 'ATTACH PARTITION') THEN 'i'
                              WHEN e.operation IN ('DELETE', 'TRUNCATE', 'DROP TABLE', 'DETACH PARTITION', 'DROP PARTITION') THEN 'd'
                              WHEN e.operation IN ('UPDATE', 'ALTER COLUMN TYPE', 'ALTER COLUMN EXPRESSION') THEN 'u' END AS class
                  FROM chronicle.table_event_log AS e
                  WHERE e.table_id = %1$s AND e.transaction_id IN (SELECT chronicle.transactions_after(%2$L::chronicle.cut))) AS x
            WHERE x.class IS NOT NULL
        ), entries AS MATERIALIZED (
            SELECT ev.pos, ev.transaction_id, ev.operation, ev.class, r.row_key AS slot, r.old_data
            FROM later_events AS ev JOIN chronicle.row_log AS r ON r.event_id = ev.event_id
            WHERE r.event_id >= (SELECT pg_catalog.min(l.event_id) FROM later_events AS l)
        ), live AS (
            SELECT s.slot, %4$s AS data
            FROM (SELECT DISTINCT e.slot FROM entries AS e) AS s
            JOIN %5$s AS t ON %6$s%9$s
        ), items AS (
            SELECT e.pos, e.transaction_id, e.operation, e.class, e.slot, CASE WHEN e.class = 'i' THEN NULL ELSE e.old_data END AS data
            FROM entries AS e
            UNION ALL
            SELECT 9223372036854775807, NULL, NULL, 'now', l.slot, l.data FROM live AS l
        ), before_each AS (
            -- the row's value right before each item (for the row now: the row now)
            SELECT i.*, CASE WHEN i.class = 'i' THEN NULL
                             ELSE chronicle.jsonb_merge(i.data) OVER (PARTITION BY i.slot ORDER BY i.pos DESC ROWS UNBOUNDED PRECEDING) END AS value
            FROM items AS i
        ), after_each AS (
            SELECT b.*, pg_catalog.lead(b.value) OVER (PARTITION BY b.slot ORDER BY b.pos) AS value_after,
                        pg_catalog.lead(b.transaction_id) OVER (PARTITION BY b.slot ORDER BY b.pos) AS next_transaction
            FROM before_each AS b
        )
        SELECT a.transaction_id, t.committed_at, a.slot,
               pg_catalog.array_agg(a.operation ORDER BY a.pos),
               (pg_catalog.array_agg(CASE WHEN a.class = 'd' THEN NULL ELSE
                    (SELECT pg_catalog.to_jsonb(p.*)%8$s FROM pg_catalog.jsonb_populate_record(NULL::%5$s, a.value_after) AS p) END ORDER BY a.pos DESC))[1]
        FROM after_each AS a
        JOIN chronicle.transaction_log AS t ON t.id = a.transaction_id
        WHERE a.class <> 'now' AND chronicle.in_cut(%7$L::chronicle.cut, a.transaction_id)
        GROUP BY a.transaction_id, t.committed_at, a.slot
        ORDER BY pg_catalog.max(a.pos)$query$,
        table_id, from_cut::text, v_version.key_columns,
        chronicle.capture_whole_row(v_relation, 't', v_current.excluded_columns), v_relation,
        (SELECT pg_catalog.string_agg(pg_catalog.format('t.%I = (s.slot ->> %L)::%s', k, k, pg_catalog.format_type(a.atttypid, a.atttypmod)), ' AND ')
         FROM pg_catalog.unnest(v_version.key_columns) AS k
         JOIN pg_catalog.pg_attribute AS a ON a.attrelid = v_relation AND a.attname = k AND NOT a.attisdropped),
        to_cut::text,
        -- values as the log writes them (see state_jsonb_expression)
        chronicle.capture_row_corrections(v_relation, 'p', '{}'),
        chronicle.capture_whole_row_source(v_relation, 't', v_current.excluded_columns));
END
$function$;

CREATE FUNCTION chronicle.restore_recordsets(relation regclass, from_point text, to_point text)
RETURNS TABLE (transaction_id bigint, committed_at timestamptz, row_key jsonb, operations text[], row_data jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT * FROM chronicle.restore_recordsets_at(chronicle.history_table_id(relation), chronicle.cut(from_point), chronicle.cut(to_point)) $function$;

CREATE FUNCTION chronicle.restore_recordsets(relation regclass, from_point timestamptz, to_point timestamptz)
RETURNS TABLE (transaction_id bigint, committed_at timestamptz, row_key jsonb, operations text[], row_data jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT * FROM chronicle.restore_recordsets_at(chronicle.history_table_id(relation), chronicle.cut(from_point), chronicle.cut(to_point)) $function$;

CREATE FUNCTION chronicle.restore_recordsets(relation regclass, from_point bigint, to_point bigint)
RETURNS TABLE (transaction_id bigint, committed_at timestamptz, row_key jsonb, operations text[], row_data jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT * FROM chronicle.restore_recordsets_at(chronicle.history_table_id(relation), chronicle.cut(from_point), chronicle.cut(to_point)) $function$;

COMMENT ON FUNCTION chronicle.restore_recordsets_at(integer, chronicle.cut, chronicle.cut) IS 'Internal: restore_recordsets between two cuts.';
COMMENT ON FUNCTION chronicle.restore_recordsets(regclass, text, text) IS
    'Every version of every row changed between two points (mark names or timestamps): the row after each transaction that changed it.';
COMMENT ON FUNCTION chronicle.restore_recordsets(regclass, timestamptz, timestamptz) IS 'Every version of every row changed between two timestamps.';
COMMENT ON FUNCTION chronicle.restore_recordsets(regclass, bigint, bigint) IS 'Every version of every row changed between two transactions.';

-- ==== functions (src/sql/functions/history/restore_state.sql)
-- Rebuilding past states in another schema (docs/time-travel.md, "Restoring a past state"):
-- restore_table_state and restore_schema_state. They run as the caller, who needs to read the
-- log and the tables and to create in the target schema (chronicle_admin may call them).

-- The rows of an audited table at a cut, in its shape then, as records: what a restored VIEW
-- reads, so that it follows the log as it grows. The caller gives the column definition list.
CREATE FUNCTION chronicle.state_rows(table_id integer, cut chronicle.cut)
RETURNS SETOF record
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
-- a state sorts and hashes every changed row once: in memory, not in temporary files
SET work_mem = '64MB'
AS $function$
BEGIN
    RETURN QUERY EXECUTE chronicle.state_query(table_id, cut, 'then');
END
$function$;

-- Creates the state of the given tables at a cut in target_schema, as tables or views; returns
-- what it created. Everything is checked before anything is created, and a failure leaves
-- nothing behind (it all runs in the caller's transaction).
CREATE FUNCTION chronicle.restore_state_at(cut chronicle.cut, table_ids integer[], target_schema name,
                                                      mode text, replace boolean, constraints boolean)
RETURNS SETOF regclass
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
-- a state sorts and hashes every changed row once: in memory, not in temporary files
SET work_mem = '64MB'
AS $function$
DECLARE
    v_mode text := pg_catalog.upper(mode);
    v_ids integer[];
    v_names name[];
    v_queries text[];
    v_columns text[];
    v_sources regclass[];
    v_created regclass[] := '{}';
    v_target regclass;
    v_existing text;
    v_drop record;
    v_previous_restore_drop text;
    v_previous_hashjoin text;
    v_constraint record;
BEGIN
    IF v_mode IS NULL OR v_mode NOT IN ('TABLE', 'VIEW') THEN
        RAISE EXCEPTION 'unknown mode %', mode USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''TABLE'' or ''VIEW''.';
    END IF;
    IF target_schema IS NULL OR replace IS NULL OR constraints IS NULL THEN
        RAISE EXCEPTION 'the target schema and the options must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Leave an option out to take its default.';
    END IF;
    IF constraints AND v_mode = 'VIEW' THEN
        RAISE EXCEPTION 'a VIEW has no constraints' USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass constraints => true with mode ''TABLE''.';
    END IF;
    IF target_schema IN ('chronicle', 'pg_catalog', 'information_schema') OR target_schema LIKE 'pg\_%' THEN
        RAISE EXCEPTION 'cannot restore into schema %', target_schema
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Name a schema of your own; it is created if it does not exist.';
    END IF;
    IF EXISTS (SELECT FROM chronicle.audit_table_log AS v WHERE v.valid_until IS NULL AND v.schema_name = target_schema) THEN
        RAISE EXCEPTION 'schema % holds audited tables', target_schema
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Restore into a schema of its own, e.g. ' || pg_catalog.quote_ident(target_schema || '_restored') || '.';
    END IF;

    -- the state of every table at the cut: its name then and its query (errors come before anything is created)
    SELECT pg_catalog.array_agg(t.id ORDER BY v.table_name), pg_catalog.array_agg(v.table_name ORDER BY v.table_name),
           pg_catalog.array_agg(chronicle.state_query(t.id, cut, 'then') ORDER BY v.table_name),
           pg_catalog.array_agg((SELECT pg_catalog.string_agg(pg_catalog.format('%I %s', c.column_name, c.data_type), ', ' ORDER BY c.n)
                                 FROM chronicle.state_columns(t.id, cut) WITH ORDINALITY AS c(column_name, data_type, logged, current_name, n))
                                ORDER BY v.table_name),
           pg_catalog.array_agg(CASE WHEN now_v.table_id IS NOT NULL
                                     THEN pg_catalog.to_regclass(pg_catalog.format('%I.%I', now_v.schema_name, now_v.table_name)) END
                                ORDER BY v.table_name)
    INTO v_ids, v_names, v_queries, v_columns, v_sources
    FROM pg_catalog.unnest(table_ids) AS t(id)
    CROSS JOIN LATERAL chronicle.state_version(t.id, cut) AS v
    LEFT JOIN chronicle.audit_table_log AS now_v ON now_v.table_id = t.id AND now_v.valid_until IS NULL;

    IF EXISTS (SELECT FROM pg_catalog.pg_namespace AS n WHERE n.nspname = target_schema) THEN
        SELECT pg_catalog.string_agg(pg_catalog.format('%I', c.relname), ', ' ORDER BY c.relname) INTO v_existing
        FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname = target_schema AND c.relkind IN ('r', 'p', 'v', 'm', 'f');
        IF v_existing IS NOT NULL AND NOT replace THEN
            RAISE EXCEPTION 'schema % is not empty', target_schema
                USING ERRCODE = 'duplicate_schema', DETAIL = 'It holds ' || v_existing || '.',
                      HINT = 'Restore into a new schema, or pass replace => true to replace the tables and views of the same names.';
        END IF;
        -- what is dropped here is not audited (checked above): no pre-image (ddl_command_start)
        v_previous_restore_drop := pg_catalog.current_setting('chronicle.ddl_restore_drop', true);
        PERFORM pg_catalog.set_config('chronicle.ddl_restore_drop', 'on', true);
        FOR v_drop IN SELECT c.oid::regclass AS relation, c.relkind
                      FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
                      WHERE n.nspname = target_schema AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname = ANY (v_names) LOOP
            EXECUTE pg_catalog.format('DROP %s %s CASCADE',
                                      CASE v_drop.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                                          WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, v_drop.relation);
        END LOOP;
        PERFORM pg_catalog.set_config('chronicle.ddl_restore_drop', coalesce(v_previous_restore_drop, ''), true);
    ELSE
        EXECUTE pg_catalog.format('CREATE SCHEMA %I', target_schema);
    END IF;

    FOR i IN 1 .. coalesce(pg_catalog.array_length(v_ids, 1), 0) LOOP
        IF v_mode = 'VIEW' THEN
            EXECUTE pg_catalog.format('CREATE VIEW %I.%I AS SELECT * FROM chronicle.state_rows(%s, %L::chronicle.cut) AS s(%s)',
                                      target_schema, v_names[i], v_ids[i], cut::text, v_columns[i]);
        ELSIF v_queries[i] LIKE '/* chronicle: overlay */%' AND chronicle.state_key_ordered(v_sources[i]) THEN
            -- The overlay of logged old values on the rows now (state_query_updates_only) is a join
            -- of the table with its entries on the key. The planner hashes the table (the key read
            -- from the entries has no statistics), storing every row in the hash; a table in key
            -- order is read along its key index as cheaply as in sequence, and a merge join stores
            -- nothing (about a fifth less time on 200,000 rows).
            v_previous_hashjoin := pg_catalog.current_setting('enable_hashjoin');
            PERFORM pg_catalog.set_config('enable_hashjoin', 'off', true);
            EXECUTE pg_catalog.format('CREATE TABLE %I.%I AS %s', target_schema, v_names[i], v_queries[i]);
            PERFORM pg_catalog.set_config('enable_hashjoin', v_previous_hashjoin, true);
        ELSE
            EXECUTE pg_catalog.format('CREATE TABLE %I.%I AS %s', target_schema, v_names[i], v_queries[i]);
        END IF;
        v_target := pg_catalog.format('%I.%I', target_schema, v_names[i])::regclass;
        EXECUTE pg_catalog.format('COMMENT ON %s %s IS %L', v_mode, v_target,
                                  pg_catalog.format('chronicle: %s as of %s', v_names[i], (cut).description));
        IF constraints THEN
            PERFORM chronicle.restore_table_constraints(v_ids[i], cut, v_target, v_sources[i]);
        END IF;
        v_created := v_created || v_target;
        RETURN NEXT v_target;
    END LOOP;

    -- foreign keys between the restored tables, as the tables have them now
    IF constraints THEN
        FOR v_constraint IN
            SELECT k.conname, v_created[child.i] AS child, v_created[parent.i] AS parent,
                   (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY u.n)
                    FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY AS u(attnum, n)
                    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = k.conrelid AND a.attnum = u.attnum) AS columns,
                   (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY u.n)
                    FROM pg_catalog.unnest(k.confkey) WITH ORDINALITY AS u(attnum, n)
                    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = k.confrelid AND a.attnum = u.attnum) AS referenced
            FROM pg_catalog.pg_constraint AS k
            JOIN pg_catalog.generate_subscripts(v_sources, 1) AS child(i) ON v_sources[child.i] = k.conrelid
            JOIN pg_catalog.generate_subscripts(v_sources, 1) AS parent(i) ON v_sources[parent.i] = k.confrelid
            WHERE k.contype = 'f' AND k.conparentid = 0
            ORDER BY 1
        LOOP
            BEGIN
                EXECUTE pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I FOREIGN KEY (%s) REFERENCES %s (%s)',
                                          v_constraint.child, v_constraint.conname, v_constraint.columns, v_constraint.parent, v_constraint.referenced);
            EXCEPTION WHEN undefined_column OR foreign_key_violation OR invalid_foreign_key OR datatype_mismatch THEN
                RAISE WARNING 'foreign key % of % not restored: %', v_constraint.conname, v_constraint.child, SQLERRM
                    USING HINT = 'It is taken from the table as it is now; the restored columns or rows do not match it.';
            END;
        END LOOP;
    END IF;
END
$function$;

-- Whether a table's rows lie in the order of its row key: the key's first column correlates with
-- the physical order (pg_stats, so the table must have been analyzed) and a btree index starts
-- with it. False when that cannot be told.
CREATE FUNCTION chronicle.state_key_ordered(relation regclass)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_schema name;
    v_table name;
    v_first_key name;
    v_correlation real;
BEGIN
    SELECT n.nspname, c.relname, v.key_columns[1] INTO v_schema, v_table, v_first_key
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN chronicle.audit_table_log AS v ON v.valid_until IS NULL AND v.schema_name = n.nspname AND v.table_name = c.relname
    WHERE c.oid = relation;
    IF v_first_key IS NULL OR NOT EXISTS (
           SELECT FROM pg_catalog.pg_index AS i
           JOIN pg_catalog.pg_class AS ic ON ic.oid = i.indexrelid
           JOIN pg_catalog.pg_am AS am ON am.oid = ic.relam AND am.amname = 'btree'
           JOIN pg_catalog.pg_attribute AS a ON a.attrelid = relation AND a.attnum = i.indkey[0]
           WHERE i.indrelid = relation AND a.attname = v_first_key) THEN
        RETURN false;
    END IF;
    -- one row of the view, found by its constants (joined, the view is computed for every row)
    SELECT s.correlation INTO v_correlation
    FROM pg_catalog.pg_stats AS s
    WHERE s.schemaname = v_schema AND s.tablename = v_table AND s.attname = v_first_key AND NOT s.inherited;
    RETURN coalesce(pg_catalog.abs(v_correlation) >= 0.9, false);
END
$function$;

COMMENT ON FUNCTION chronicle.state_key_ordered(regclass) IS
    'Internal, for time travel: whether a table''s rows lie in the order of its row key.';

-- The constraints of a restored table: NOT NULL, defaults and the row key as the log has them at
-- the cut; CHECK and UNIQUE constraints and indexes as the table has them now, where every
-- column they name exists in the restored table (the log does not record them).
CREATE FUNCTION chronicle.restore_table_constraints(table_id integer, cut chronicle.cut, target regclass, source regclass)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_version chronicle.audit_table_log := chronicle.state_version(table_id, cut);
    v_column record;
    v_definition record;
BEGIN
    FOR v_column IN
        SELECT c.column_name, c.column_default, c.not_null
        FROM chronicle.audit_column_log AS c
        WHERE c.table_id = restore_table_constraints.table_id
          AND coalesce(chronicle.in_cut(cut, c.valid_from), false)
          AND (c.valid_until IS NULL OR NOT coalesce(chronicle.in_cut(cut, c.valid_until), false))
          AND c.column_name <> ALL (v_version.excluded_columns)
          AND c.generated IS NULL AND c.identity IS NULL
    LOOP
        IF v_column.not_null THEN
            EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET NOT NULL', target, v_column.column_name);
        END IF;
        IF v_column.column_default IS NOT NULL THEN
            EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', target, v_column.column_name, v_column.column_default);
        END IF;
    END LOOP;
    EXECUTE pg_catalog.format('ALTER TABLE %s ADD PRIMARY KEY (%s)', target,
                              (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(k), ', ') FROM pg_catalog.unnest(v_version.key_columns) AS k));
    IF source IS NULL THEN
        RETURN;
    END IF;
    -- today's CHECK and UNIQUE constraints and other indexes, where every column they name exists
    -- in the restored table; the index gets a name of PostgreSQL's choice in the target schema
    FOR v_definition IN
        SELECT pg_catalog.format('ALTER TABLE %s ADD %s', target, pg_catalog.pg_get_constraintdef(k.oid)) AS statement
        FROM pg_catalog.pg_constraint AS k
        WHERE k.conrelid = source AND k.contype IN ('c', 'u')
          AND NOT EXISTS (SELECT FROM pg_catalog.unnest(k.conkey) AS u(attnum)
                          JOIN pg_catalog.pg_attribute AS a ON a.attrelid = source AND a.attnum = u.attnum
                          WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute AS b
                                            WHERE b.attrelid = target AND b.attname = a.attname AND NOT b.attisdropped))
        UNION ALL
        SELECT pg_catalog.format('CREATE %sINDEX ON %s ', CASE WHEN i.indisunique THEN 'UNIQUE ' END, target)
               || pg_catalog.substr(d.definition, pg_catalog.strpos(d.definition, ' USING ') + 1)
        FROM pg_catalog.pg_index AS i
        CROSS JOIN LATERAL (SELECT pg_catalog.pg_get_indexdef(i.indexrelid) AS definition) AS d
        WHERE i.indrelid = source AND NOT i.indisprimary
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint AS k WHERE k.conindid = i.indexrelid AND k.conrelid = source)
          AND 0 <> ALL (i.indkey::smallint[])
          AND NOT EXISTS (SELECT FROM pg_catalog.unnest(i.indkey::smallint[]) AS u(attnum)
                          JOIN pg_catalog.pg_attribute AS a ON a.attrelid = source AND a.attnum = u.attnum
                          WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute AS b
                                            WHERE b.attrelid = target AND b.attname = a.attname AND NOT b.attisdropped))
    LOOP
        BEGIN
            EXECUTE v_definition.statement;
        EXCEPTION WHEN check_violation OR unique_violation OR datatype_mismatch OR undefined_function OR undefined_column THEN
            RAISE WARNING 'not restored on %: % (%)', target, v_definition.statement, SQLERRM
                USING HINT = 'It is taken from the table as it is now; the restored rows or columns do not match it.';
        END;
    END LOOP;
END
$function$;

CREATE FUNCTION chronicle.restore_table_state(point text, relation regclass, target_schema name,
                                                         mode text DEFAULT 'TABLE', replace boolean DEFAULT false,
                                                         constraints boolean DEFAULT false)
RETURNS regclass
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT chronicle.restore_state_at(chronicle.cut(point), ARRAY[chronicle.history_table_id(relation)], target_schema, mode, replace, constraints)
$function$;

CREATE FUNCTION chronicle.restore_table_state(point timestamptz, relation regclass, target_schema name,
                                                         mode text DEFAULT 'TABLE', replace boolean DEFAULT false,
                                                         constraints boolean DEFAULT false)
RETURNS regclass
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT chronicle.restore_state_at(chronicle.cut(point), ARRAY[chronicle.history_table_id(relation)], target_schema, mode, replace, constraints)
$function$;

CREATE FUNCTION chronicle.restore_table_state(point bigint, relation regclass, target_schema name,
                                                         mode text DEFAULT 'TABLE', replace boolean DEFAULT false,
                                                         constraints boolean DEFAULT false)
RETURNS regclass
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT chronicle.restore_state_at(chronicle.cut(point), ARRAY[chronicle.history_table_id(relation)], target_schema, mode, replace, constraints)
$function$;

-- The tables audited in a schema at a cut (by their schema then), tables dropped since included.
-- Tables audited only later are left out with a NOTICE: created later, or not followed then.
CREATE FUNCTION chronicle.schema_tables_at(cut chronicle.cut, source_schema name)
RETURNS integer[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_candidate record;
    v_version chronicle.audit_table_log;
    v_tables integer[] := '{}';
BEGIN
    FOR v_candidate IN SELECT DISTINCT v.table_id FROM chronicle.audit_table_log AS v WHERE v.schema_name = source_schema ORDER BY 1 LOOP
        BEGIN
            v_version := chronicle.state_version(v_candidate.table_id, cut);
            IF v_version.schema_name = source_schema THEN
                v_tables := v_tables || v_candidate.table_id;
            END IF;
        EXCEPTION WHEN invalid_parameter_value OR undefined_table THEN
            -- not audited yet, or dropped before the point: not part of the schema then
            IF SQLSTATE = '22023' THEN
                RAISE NOTICE '%: left out', SQLERRM;
            END IF;
        END;
    END LOOP;
    IF pg_catalog.cardinality(v_tables) = 0 THEN
        RAISE EXCEPTION 'schema % had no audited tables at %', source_schema, (cut).description
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The audited tables and their schemas are in chronicle.audit_table_log.';
    END IF;
    RETURN v_tables;
END
$function$;

CREATE FUNCTION chronicle.restore_schema_state(point text, source_schema name, target_schema name,
                                                          mode text DEFAULT 'TABLE', replace boolean DEFAULT false,
                                                          constraints boolean DEFAULT false)
RETURNS SETOF regclass
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT chronicle.restore_state_at(c.cut, chronicle.schema_tables_at(c.cut, source_schema), target_schema, mode, replace, constraints)
    FROM (SELECT chronicle.cut(point) AS cut) AS c
$function$;

CREATE FUNCTION chronicle.restore_schema_state(point timestamptz, source_schema name, target_schema name,
                                                          mode text DEFAULT 'TABLE', replace boolean DEFAULT false,
                                                          constraints boolean DEFAULT false)
RETURNS SETOF regclass
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT chronicle.restore_state_at(c.cut, chronicle.schema_tables_at(c.cut, source_schema), target_schema, mode, replace, constraints)
    FROM (SELECT chronicle.cut(point) AS cut) AS c
$function$;

CREATE FUNCTION chronicle.restore_schema_state(point bigint, source_schema name, target_schema name,
                                                          mode text DEFAULT 'TABLE', replace boolean DEFAULT false,
                                                          constraints boolean DEFAULT false)
RETURNS SETOF regclass
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT chronicle.restore_state_at(c.cut, chronicle.schema_tables_at(c.cut, source_schema), target_schema, mode, replace, constraints)
    FROM (SELECT chronicle.cut(point) AS cut) AS c
$function$;

COMMENT ON FUNCTION chronicle.state_rows(integer, chronicle.cut) IS 'Internal: the rows of an audited table at a cut, as records in its shape then (read by restored views).';
COMMENT ON FUNCTION chronicle.restore_state_at(chronicle.cut, integer[], name, text, boolean, boolean) IS 'Internal: restore_table_state and restore_schema_state at a cut.';
COMMENT ON FUNCTION chronicle.restore_table_constraints(integer, chronicle.cut, regclass, regclass) IS 'Internal: the constraints of a restored table.';
COMMENT ON FUNCTION chronicle.schema_tables_at(chronicle.cut, name) IS 'Internal: the tables audited in a schema at a cut.';
COMMENT ON FUNCTION chronicle.restore_table_state(text, regclass, name, text, boolean, boolean) IS
    'Rebuilds an audited table as it was at a point (a mark name or a timestamp) in target_schema, as a TABLE or a VIEW.';
COMMENT ON FUNCTION chronicle.restore_table_state(timestamptz, regclass, name, text, boolean, boolean) IS
    'Rebuilds an audited table as it was at a timestamp in target_schema, as a TABLE or a VIEW.';
COMMENT ON FUNCTION chronicle.restore_table_state(bigint, regclass, name, text, boolean, boolean) IS
    'Rebuilds an audited table as it was right after a transaction in target_schema, as a TABLE or a VIEW.';
COMMENT ON FUNCTION chronicle.restore_schema_state(text, name, name, text, boolean, boolean) IS
    'Rebuilds the audited tables of a schema as they were at a point (a mark name or a timestamp) in target_schema.';
COMMENT ON FUNCTION chronicle.restore_schema_state(timestamptz, name, name, text, boolean, boolean) IS
    'Rebuilds the audited tables of a schema as they were at a timestamp in target_schema.';
COMMENT ON FUNCTION chronicle.restore_schema_state(bigint, name, name, text, boolean, boolean) IS
    'Rebuilds the audited tables of a schema as they were right after a transaction in target_schema.';

-- ==== functions (src/sql/functions/history/stamp_commit.sql)
-- Stamps chronicle.transaction_log.committed_at as the transaction commits: a deferred
-- constraint trigger on the transaction's log row runs when the commit begins, after all of the
-- transaction's statements. Commit order is what a timestamp point means (docs/time-travel.md):
-- a transaction that waited for another's row lock stamps after that one committed, so the
-- stamps order every row's changes as they happened.
--
-- The UPDATE is of the row inserted by this transaction, on a page kept with room for it
-- (fillfactor 90) and with no btree on the column, so it is a HOT update (on PostgreSQL 16 and
-- later; before 16 the BRIN index on the column prevents HOT).
CREATE FUNCTION chronicle.stamp_commit()
RETURNS trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- a plan cached while the table was empty must not scan it whole later (see log_transaction)
SET enable_seqscan = off
AS $function$
BEGIN
    -- a row that comes with its stamp (a restored dump loads the log with COPY) keeps it
    IF NEW.committed_at IS NOT NULL THEN
        RETURN NULL;
    END IF;
    UPDATE chronicle.transaction_log SET committed_at = pg_catalog.clock_timestamp() WHERE id = NEW.id;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION chronicle.stamp_commit() IS
    'Internal, a deferred trigger on chronicle.transaction_log: stamps committed_at as the transaction commits.';

-- ==== functions (src/sql/functions/history/state_plan.sql)
-- What a state at a cut is built from (docs/time-travel.md, "How a past state is built"): the
-- table's version valid at the cut, its columns then, and the changes of shape after it.

-- The version of an audited table valid at a cut. Refused, with the reason, when there is none
-- (not audited yet, dropped, audit stopped) or when the history from the cut to now has a gap
-- (an audit stopped and started again), since the state is rebuilt by undoing every later change.
CREATE FUNCTION chronicle.state_version(table_id integer, cut chronicle.cut)
RETURNS chronicle.audit_table_log
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_versions chronicle.audit_table_log[];
    v_count integer;
    v_at integer;
    v_name text;
    v_dropped_by bigint;
    v_started timestamptz;
BEGIN
    SELECT pg_catalog.array_agg(v ORDER BY v.id) INTO v_versions
    FROM chronicle.audit_table_log AS v WHERE v.table_id = state_version.table_id;
    IF v_versions IS NULL THEN
        RAISE EXCEPTION 'table id % has never been audited', table_id
            USING ERRCODE = 'undefined_table', HINT = 'The audited tables are listed in chronicle.audit_table_log.';
    END IF;
    v_count := pg_catalog.array_length(v_versions, 1);
    v_name := pg_catalog.format('%I.%I', v_versions[v_count].schema_name, v_versions[v_count].table_name);
    -- ended by DROP TABLE (the event that ends the last version), as opposed to an audit stopped
    SELECT e.transaction_id INTO v_dropped_by
    FROM chronicle.table_event_log AS e
    WHERE e.id = v_versions[v_count].valid_until_event AND e.operation = 'DROP TABLE';

    FOR i IN 1 .. v_count LOOP
        IF coalesce(chronicle.in_cut(cut, v_versions[i].valid_from), false)
           AND (v_versions[i].valid_until IS NULL OR NOT coalesce(chronicle.in_cut(cut, v_versions[i].valid_until), false)) THEN
            v_at := i;
        END IF;
    END LOOP;

    IF v_at IS NULL THEN
        IF NOT coalesce(chronicle.in_cut(cut, v_versions[1].valid_from), false) THEN
            SELECT t.committed_at INTO v_started FROM chronicle.transaction_log AS t WHERE t.id = v_versions[1].valid_from;
            RAISE EXCEPTION 'table % was not audited yet at %', v_name, (cut).description
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = pg_catalog.format('Its history starts with transaction %s, committed at %s.', v_versions[1].valid_from, v_started),
                      HINT = 'Pass a later point: chronicle knows nothing of a table from before it was audited.';
        END IF;
        IF v_dropped_by IS NOT NULL AND coalesce(chronicle.in_cut(cut, v_dropped_by), false) THEN
            RAISE EXCEPTION 'table % did not exist at %', v_name, (cut).description
                USING ERRCODE = 'undefined_table',
                      DETAIL = pg_catalog.format('It was dropped by transaction %s.', v_dropped_by),
                      HINT = 'Pass an earlier point.';
        END IF;
        RAISE EXCEPTION 'table % was not audited at %', v_name, (cut).description
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Its audit had been stopped (chronicle.drop_table_audit) by then.';
    END IF;

    FOR i IN v_at .. v_count - 1 LOOP
        IF v_versions[i].valid_until IS DISTINCT FROM v_versions[i + 1].valid_from THEN
            RAISE EXCEPTION 'the history of % after % is incomplete', v_name, (cut).description
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      DETAIL = pg_catalog.format('Its audit was stopped by transaction %s and started again by transaction %s; changes in between were not logged.',
                                                 v_versions[i].valid_until, v_versions[i + 1].valid_from),
                      HINT = 'Pass a point after the audit started again.';
        END IF;
    END LOOP;
    IF v_versions[v_count].valid_until IS NOT NULL AND v_dropped_by IS NULL THEN
        RAISE EXCEPTION 'the history of % after % is incomplete', v_name, (cut).description
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = pg_catalog.format('Its audit was stopped by transaction %s; later changes were not logged.', v_versions[v_count].valid_until),
                  HINT = 'Audit the table again (chronicle.create_table_audit) to follow it from now on.';
    END IF;
    RETURN v_versions[v_at];
END
$function$;

-- The columns of a table at a cut, in table order: name and type then, whether their values are
-- logged, and the name they have now (NULL when dropped since).
CREATE FUNCTION chronicle.state_columns(table_id integer, cut chronicle.cut)
RETURNS TABLE (column_name name, data_type text, logged boolean, current_name name)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_version chronicle.audit_table_log := chronicle.state_version(table_id, cut);
    v_shape record;
    v_names name[];
    v_types text[];
    v_logged boolean[];
    v_current name[];
BEGIN
    SELECT pg_catalog.array_agg(c.column_name ORDER BY c.ordinal_position),
           pg_catalog.array_agg(c.data_type ORDER BY c.ordinal_position),
           pg_catalog.array_agg(c.column_name <> ALL (v_version.excluded_columns) AND c.generated IS DISTINCT FROM 'VIRTUAL'
                                ORDER BY c.ordinal_position)
    INTO v_names, v_types, v_logged
    FROM chronicle.audit_column_log AS c
    WHERE c.table_id = state_columns.table_id
      AND coalesce(chronicle.in_cut(cut, c.valid_from), false)
      AND (c.valid_until IS NULL OR NOT coalesce(chronicle.in_cut(cut, c.valid_until), false));
    v_current := v_names;
    -- follow renames and drops forward, oldest first
    FOR v_shape IN SELECT * FROM chronicle.state_shape_events(table_id, cut) LOOP
        FOR i IN 1 .. coalesce(pg_catalog.array_length(v_current, 1), 0) LOOP
            IF v_current[i] = v_shape.first_name THEN
                v_current[i] := CASE v_shape.operation WHEN 'RENAME COLUMN' THEN v_shape.second_name::name
                                                       WHEN 'DROP COLUMN' THEN NULL ELSE v_current[i] END;
            END IF;
        END LOOP;
    END LOOP;
    RETURN QUERY SELECT v_names[i], v_types[i], v_logged[i], v_current[i]
                 FROM pg_catalog.generate_subscripts(v_names, 1) AS i ORDER BY i;
END
$function$;

-- The changes of shape of a table after a cut, oldest first, in the order of the log (see
-- docs/log-tables.md, "Order of changes"): found through the column and table versions they
-- started, so no scan of the event log is needed. first_name is the column added, renamed (its
-- old name) or dropped; second_name the new name of a rename.
CREATE FUNCTION chronicle.state_shape_events(table_id integer, cut chronicle.cut)
RETURNS TABLE (event_id bigint, operation text, first_name name, second_name name,
               transaction_order bigint, statement_order bigint, nesting_depth smallint)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_events bigint[];
BEGIN
    SELECT pg_catalog.array_agg(DISTINCT x.event_id) INTO v_events
    FROM (SELECT v.valid_from_event AS event_id FROM chronicle.audit_column_log AS v
          WHERE v.table_id = state_shape_events.table_id AND NOT coalesce(chronicle.in_cut(cut, v.valid_from), false)
          UNION ALL
          SELECT v.valid_until_event FROM chronicle.audit_column_log AS v
          WHERE v.table_id = state_shape_events.table_id AND v.valid_until IS NOT NULL
            AND NOT coalesce(chronicle.in_cut(cut, v.valid_until), false)
          UNION ALL
          SELECT v.valid_from_event FROM chronicle.audit_table_log AS v
          WHERE v.table_id = state_shape_events.table_id AND NOT coalesce(chronicle.in_cut(cut, v.valid_from), false)) AS x
    WHERE x.event_id IS NOT NULL;
    IF v_events IS NULL THEN
        RETURN;
    END IF;
    RETURN QUERY
    SELECT e.id, e.operation::text,
           (CASE WHEN e.operation = 'RENAME COLUMN' THEN e.ddl ->> 'old_name' ELSE e.ddl ->> 'column' END)::name,
           (e.ddl ->> 'new_name')::name,
           (SELECT pg_catalog.max(x.id) FROM chronicle.table_event_log AS x
            WHERE x.transaction_id = e.transaction_id AND x.table_id = e.table_id),
           e.statement_order, e.nesting_depth
    FROM chronicle.table_event_log AS e
    WHERE e.id = ANY (v_events)
      AND e.operation IN ('ADD COLUMN', 'RENAME COLUMN', 'DROP COLUMN', 'ALTER KEY')
    ORDER BY 5, 6, 7, 1;
END
$function$;

-- A logged row (row_key or old_data, written with the column names of its event's time) with
-- the changes of shape between the cut and that event undone, newest first: renamed columns get
-- their old names back, columns added since are removed. operations, first_names and
-- second_names are state_shape_events' columns; steps is how many of them are older than the
-- event.
CREATE FUNCTION chronicle.state_undo_shape(value jsonb, operations text[], first_names text[], second_names text[], steps integer)
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    FOR i IN REVERSE steps .. 1 LOOP
        IF operations[i] = 'RENAME COLUMN' AND value ? second_names[i] THEN
            value := (value - second_names[i]) || pg_catalog.jsonb_build_object(first_names[i], value -> second_names[i]);
        ELSIF operations[i] = 'ADD COLUMN' THEN
            value := value - first_names[i];
        END IF;
    END LOOP;
    RETURN value;
END
$function$;

COMMENT ON FUNCTION chronicle.state_version(integer, chronicle.cut) IS
    'Internal, for time travel: the version of an audited table valid at a cut, with a complete history since.';
COMMENT ON FUNCTION chronicle.state_columns(integer, chronicle.cut) IS
    'Internal, for time travel: the columns of an audited table at a cut, and their names now.';
COMMENT ON FUNCTION chronicle.state_shape_events(integer, chronicle.cut) IS
    'Internal, for time travel: the ADD/RENAME/DROP COLUMN and ALTER KEY events of a table after a cut, oldest first.';
COMMENT ON FUNCTION chronicle.state_undo_shape(jsonb, text[], text[], text[], integer) IS
    'Internal, for time travel: a logged row with later renames and added columns undone.';

-- ==== functions (src/sql/functions/history/state_query.sql)
-- The SQL of an audited table's state at a cut (docs/time-travel.md, "How a past state is built").
--
-- The state is the table now with every change after the cut undone. Undoing is done per row
-- slot (a key value) and set-based: the logged entries after the cut become items on the slots
-- they touched, in the order of the log. On a slot, a delete or a move of the row to another key
-- ends a segment of the slot's life, an insert or a move from another key starts one. A
-- segment's value at its start is its end's value (the deleted row's logged image, the moved
-- row's value just before the move, or the row now) with the old values of its updates laid over
-- it, newest first, so the oldest wins: one jsonb_merge per segment, whatever the number of
-- columns. A move's value comes from the segment it started on the other slot, so chains of key
-- changes are followed by a recursive CTE, one step per key change of a row. The state at the
-- cut is the first segment of every slot that did not start with an insert or a move, plus the
-- rows now on slots no later change touched, read as they are.
--
-- shape 'then': the columns of the cut, with their names and types then (restore_table_state,
-- restore_recordset). shape 'now': the relation's row type today (as_of): columns added later and
-- columns not logged are NULL, renamed ones are under today's name.
--
-- Values are read back as the capture wrote them: run the query with the settings the capture
-- functions fix (DateStyle, IntervalStyle, extra_float_digits, bytea_output, lc_monetary).
CREATE FUNCTION chronicle.state_query(table_id integer, cut chronicle.cut, shape text DEFAULT 'then', slots jsonb[] DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_version chronicle.audit_table_log := chronicle.state_version(table_id, cut);
    v_current chronicle.audit_table_log;
    v_relation regclass;
    v_cut text := pg_catalog.format('%L::chronicle.cut', cut::text);
    v_shape_ops text[];
    v_shape_first text[];
    v_shape_second text[];
    v_shape_steps text := '0';
    v_undo_format text := '%s';
    v_key_then name[];
    v_key_now name[];
    v_live_join text;
    v_live_row text;
    v_old_key text;
    v_record_columns text;
    v_then_columns text;
    v_live_columns text;
    v_now_columns text;
    v_now_live_columns text;
    v_renamed text;
    v_select_changed text;
    v_select_untouched text;
    v_later_events bigint[];
    v_updates_only boolean;
BEGIN
    IF shape IS NULL OR shape NOT IN ('then', 'now') THEN
        RAISE EXCEPTION 'unknown shape %', shape USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''then'' or ''now''.';
    END IF;
    SELECT * INTO v_current FROM chronicle.audit_table_log AS v WHERE v.table_id = state_query.table_id AND v.valid_until IS NULL;
    IF FOUND THEN
        v_relation := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_current.schema_name, v_current.table_name));
    END IF;

    -- changes of shape after the cut: the step of an event is how many are older than it
    SELECT pg_catalog.array_agg(s.operation ORDER BY s.n), pg_catalog.array_agg(s.first_name ORDER BY s.n),
           pg_catalog.array_agg(s.second_name ORDER BY s.n),
           'CASE' || pg_catalog.string_agg(pg_catalog.format(' WHEN (x.transaction_order, x.statement_order, x.nesting_depth, x.event_id) > (%s, %s, %s, %s) THEN %s',
                                                              s.transaction_order, s.statement_order, s.nesting_depth, s.event_id, s.n), '' ORDER BY s.n DESC) || ' ELSE 0 END'
    INTO v_shape_ops, v_shape_first, v_shape_second, v_shape_steps
    FROM (SELECT e.*, pg_catalog.row_number() OVER (ORDER BY e.transaction_order, e.statement_order, e.nesting_depth, e.event_id) AS n
          FROM chronicle.state_shape_events(table_id, cut) AS e) AS s;
    IF 'ALTER KEY' = ANY (v_shape_ops) THEN
        RAISE EXCEPTION 'the row key of %.% changed after %', v_version.schema_name, v_version.table_name, (cut).description
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Rows are named by their key in the log; a state before a change of key cannot be rebuilt. Pass a point after it.';
    END IF;
    IF v_shape_ops IS NULL THEN
        v_shape_steps := '0';
    ELSE
        v_undo_format := pg_catalog.format('chronicle.state_undo_shape(%%s, %L::text[], %L::text[], %L::text[], ev.step)',
                                           v_shape_ops, v_shape_first, v_shape_second);
    END IF;

    -- the key: names then (slots are written with them), names now (to find live rows)
    v_key_then := v_version.key_columns;
    SELECT pg_catalog.array_agg(c.current_name ORDER BY k.ord)
    INTO v_key_now
    FROM pg_catalog.unnest(v_key_then) WITH ORDINALITY AS k(name, ord)
    JOIN chronicle.state_columns(table_id, cut) AS c ON c.column_name = k.name;
    SELECT pg_catalog.string_agg(pg_catalog.format('t.%I = (s.slot ->> %L)::%s', v_key_now[i], v_key_then[i], a.type_now), ' AND ' ORDER BY i),
           pg_catalog.string_agg(pg_catalog.format('%L, coalesce(k.old -> %L, k.ka -> %L)', v_key_then[i], v_key_then[i], v_key_then[i]), ', ' ORDER BY i)
    INTO v_live_join, v_old_key
    FROM pg_catalog.generate_subscripts(v_key_then, 1) AS i
    LEFT JOIN LATERAL (SELECT pg_catalog.format_type(a.atttypid, a.atttypmod) AS type_now
                       FROM pg_catalog.pg_attribute AS a
                       WHERE a.attrelid = v_relation AND a.attname = v_key_now[i] AND NOT a.attisdropped) AS a ON true;

    -- columns: as a record of then; then-typed from the live row; today's, from either
    SELECT pg_catalog.string_agg(pg_catalog.format('%I %s', c.column_name, c.data_type), ', ' ORDER BY c.n),
           pg_catalog.string_agg(CASE WHEN c.logged THEN pg_catalog.format('x.%I', c.column_name)
                                      ELSE pg_catalog.format('NULL::%s AS %I', c.data_type, c.column_name) END, ', ' ORDER BY c.n),
           pg_catalog.string_agg(CASE WHEN c.logged AND a.attname IS NOT NULL AND pg_catalog.format_type(a.atttypid, a.atttypmod) = c.data_type
                                      THEN pg_catalog.format('t.%I', a.attname)
                                      ELSE pg_catalog.format('NULL::%s', c.data_type) END
                                 || pg_catalog.format(' AS %I', c.column_name), ', ' ORDER BY c.n)
    INTO v_record_columns, v_then_columns, v_live_columns
    FROM chronicle.state_columns(table_id, cut) WITH ORDINALITY AS c(column_name, data_type, logged, current_name, n)
    LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = v_relation AND a.attname = c.current_name AND NOT a.attisdropped;

    IF v_relation IS NOT NULL THEN
        v_live_row := pg_catalog.format(v_undo_format, chronicle.capture_whole_row(v_relation, 't', v_current.excluded_columns));
        v_live_row := replace(v_live_row, 'ev.step', (SELECT pg_catalog.count(*) FROM pg_catalog.unnest(v_shape_ops))::text);
    END IF;

    IF shape = 'now' THEN
        IF v_relation IS NULL THEN
            RAISE EXCEPTION 'table %.% does not exist any more', v_current.schema_name, v_current.table_name
                USING ERRCODE = 'undefined_table', HINT = 'Its past states can be rebuilt with chronicle.restore_table_state or restore_recordset.';
        END IF;
        -- today's columns: the value of the column they were at the cut, if logged then
        SELECT pg_catalog.string_agg(CASE WHEN c.logged THEN pg_catalog.format('p.%I', a.attname)
                                          ELSE pg_catalog.format('NULL::%s', pg_catalog.format_type(a.atttypid, a.atttypmod)) END, ', ' ORDER BY a.attnum),
               pg_catalog.string_agg(CASE WHEN c.logged THEN pg_catalog.format('t.%I', a.attname)
                                          ELSE pg_catalog.format('NULL::%s', pg_catalog.format_type(a.atttypid, a.atttypmod)) END, ', ' ORDER BY a.attnum)
        INTO v_now_columns, v_now_live_columns
        FROM pg_catalog.pg_attribute AS a
        LEFT JOIN (SELECT * FROM chronicle.state_columns(table_id, cut)) AS c ON c.current_name = a.attname
        WHERE a.attrelid = v_relation AND a.attnum > 0 AND NOT a.attisdropped;
        -- the value under today's names: renamed columns moved, columns gone since removed
        SELECT '(r.value - ' || pg_catalog.quote_literal(coalesce(pg_catalog.array_agg(c.column_name) FILTER (WHERE c.current_name IS DISTINCT FROM c.column_name), '{}')::text) || '::text[])'
               || coalesce(' || pg_catalog.jsonb_build_object(' || pg_catalog.string_agg(pg_catalog.format('%L, r.value -> %L', c.current_name, c.column_name), ', ')
                           FILTER (WHERE c.current_name IS NOT NULL AND c.current_name <> c.column_name) || ')', '')
        INTO v_renamed
        FROM chronicle.state_columns(table_id, cut) AS c;
        v_select_changed := pg_catalog.format(
            'SELECT %s FROM resolved AS r CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::%s, %s) AS p WHERE r.segment = 0 AND r.first_kind <> ''a''',
            v_now_columns, v_relation, v_renamed);
        v_select_untouched := v_now_live_columns;
    ELSE
        v_select_changed := pg_catalog.format(
            'SELECT %s FROM resolved AS r CROSS JOIN LATERAL pg_catalog.jsonb_to_record(r.value) AS x(%s) WHERE r.segment = 0 AND r.first_kind <> ''a''',
            v_then_columns, v_record_columns);
        v_select_untouched := v_live_columns;
    END IF;

    -- The common case, and the one to be fast: since the cut the table kept its shape and saw
    -- only UPDATEs that kept every row's key. Then the state is each row now with the old values
    -- of its entries laid over it (jsonb_populate_record with the row as its base), no segments.
    IF v_relation IS NOT NULL AND v_shape_ops IS NULL AND slots IS NULL THEN
        SELECT pg_catalog.array_agg(e.id), pg_catalog.bool_and(e.operation = 'UPDATE')
        INTO v_later_events, v_updates_only
        FROM chronicle.table_event_log AS e
        WHERE e.table_id = state_query.table_id AND e.transaction_id IN (SELECT chronicle.transactions_after(cut))
          AND e.operation NOT IN ('BASELINE', 'DDL PRE-IMAGE', 'ALTER COLUMN DEFAULT', 'ALTER COLUMN NOT NULL', 'ALTER COLUMN IDENTITY',
                                  'RENAME TABLE', 'SET SCHEMA');
        IF v_later_events IS NULL OR (v_updates_only AND NOT EXISTS (
               SELECT FROM chronicle.row_log AS r
               WHERE r.event_id = ANY (v_later_events) AND r.event_id >= (SELECT pg_catalog.min(x) FROM pg_catalog.unnest(v_later_events) AS x)
                 AND r.old_data ?| v_key_then::text[])) THEN
            RETURN chronicle.state_query_updates_only(table_id, cut, v_relation, v_version, v_key_then,
                                                      coalesce(pg_catalog.cardinality(v_later_events), 0) <= 1);
        END IF;
    END IF;

    RETURN pg_catalog.format($query$
WITH RECURSIVE later_events AS MATERIALIZED (
    SELECT x.event_id, x.class, %1$s AS step,
           pg_catalog.row_number() OVER (ORDER BY x.transaction_order, x.statement_order, x.nesting_depth, x.event_id) AS pos
    FROM (SELECT e.id AS event_id, e.statement_order, e.nesting_depth,
                 pg_catalog.max(e.id) OVER (PARTITION BY e.transaction_id) AS transaction_order,
                 CASE WHEN e.operation IN ('INSERT', 'ATTACH PARTITION') THEN 'i'
                      WHEN e.operation IN ('DELETE', 'TRUNCATE', 'DROP TABLE', 'DETACH PARTITION', 'DROP PARTITION') THEN 'd'
                      WHEN e.operation IN ('UPDATE', 'DROP COLUMN', 'ALTER COLUMN TYPE', 'ALTER COLUMN EXPRESSION') THEN 'u' END AS class
          FROM chronicle.table_event_log AS e
          WHERE e.table_id = %2$s AND e.transaction_id IN (SELECT chronicle.transactions_after(%3$s))) AS x
    WHERE x.class IS NOT NULL
), entries AS (
    SELECT ev.pos, ev.class, %4$s AS ka, %5$s AS old
    FROM later_events AS ev
    JOIN chronicle.row_log AS r ON r.event_id = ev.event_id
    WHERE r.event_id >= (SELECT pg_catalog.min(l.event_id) FROM later_events AS l)
    %11$s
), keyed AS MATERIALIZED (
    SELECT k.pos, k.class, k.ka, k.old,
           CASE WHEN k.class = 'u' AND k.old ?| %6$L::text[] THEN k.ka || pg_catalog.jsonb_build_object(%7$s) ELSE k.ka END AS kb
    FROM entries AS k
), moves AS MATERIALIZED (
    SELECT pg_catalog.row_number() OVER () AS move, k.pos, k.kb, k.ka, k.old FROM keyed AS k WHERE k.class = 'u' AND k.kb <> k.ka
), items AS (
    SELECT k.ka AS slot, k.pos, 0 AS sub, 'u' AS kind, k.old AS data, NULL::bigint AS move FROM keyed AS k WHERE k.class = 'u' AND k.kb = k.ka
    UNION ALL SELECT k.kb, k.pos, 0, 'd', k.old, NULL FROM keyed AS k WHERE k.class = 'd'
    UNION ALL SELECT k.ka, k.pos, 1, 'a', NULL, NULL FROM keyed AS k WHERE k.class = 'i'
    UNION ALL SELECT m.kb, m.pos, 0, 'l', NULL, m.move FROM moves AS m
    UNION ALL SELECT m.ka, m.pos, 1, 'a', NULL, m.move FROM moves AS m
), numbered AS (
    SELECT i.*, pg_catalog.count(*) FILTER (WHERE i.kind IN ('d', 'l'))
                    OVER (PARTITION BY i.slot ORDER BY i.pos, i.sub ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS segment
    FROM items AS i
), segments AS MATERIALIZED (
    SELECT n.slot, n.segment,
           (pg_catalog.array_agg(n.kind ORDER BY n.pos, n.sub))[1] AS first_kind,
           -- the move that started the segment (its first item is the row arriving)
           (pg_catalog.array_agg(CASE WHEN n.kind = 'a' THEN n.move END ORDER BY n.pos, n.sub))[1] AS first_move,
           (pg_catalog.array_agg(n.kind ORDER BY n.pos DESC, n.sub DESC))[1] AS last_kind,
           (pg_catalog.array_agg(n.data ORDER BY n.pos DESC, n.sub DESC))[1] AS last_data,
           (pg_catalog.array_agg(n.move ORDER BY n.pos DESC, n.sub DESC))[1] AS last_move,
           chronicle.jsonb_merge(n.data ORDER BY n.pos DESC, n.sub DESC) FILTER (WHERE n.kind = 'u') AS updates
    FROM numbered AS n
    GROUP BY n.slot, n.segment
), live AS (
    %8$s
), resolved AS (
    SELECT s.slot, s.segment, s.first_kind, s.first_move,
           CASE WHEN s.last_kind = 'd' THEN s.last_data ELSE l.data END || coalesce(s.updates, '{}') AS value
    FROM segments AS s
    LEFT JOIN live AS l ON l.slot = s.slot AND s.last_kind <> 'd'
    WHERE s.last_kind <> 'l' AND ((s.segment = 0 AND s.first_kind <> 'a') OR s.first_move IS NOT NULL)
    UNION ALL
    SELECT s.slot, s.segment, s.first_kind, s.first_move, (r.value || m.old) || coalesce(s.updates, '{}')
    FROM resolved AS r
    JOIN moves AS m ON m.move = r.first_move
    JOIN segments AS s ON s.last_kind = 'l' AND s.last_move = m.move
)
%9$s
%10$s$query$,
        v_shape_steps, table_id, v_cut,
        pg_catalog.format(v_undo_format, 'r.row_key'), pg_catalog.format(v_undo_format, 'r.old_data'),
        v_key_then, v_old_key,
        CASE WHEN v_relation IS NULL THEN 'SELECT NULL::jsonb AS slot, NULL::jsonb AS data WHERE false'
             ELSE pg_catalog.format('SELECT s.slot, %s AS data FROM segments AS s JOIN %s AS t ON %s%s WHERE s.last_kind IN (''u'', ''a'')',
                                    v_live_row, v_relation, v_live_join,
                                    chronicle.capture_whole_row_source(v_relation, 't', v_current.excluded_columns)) END,
        v_select_changed,
        CASE WHEN v_relation IS NULL THEN ''
             ELSE pg_catalog.format('UNION ALL SELECT %s FROM %s AS t WHERE NOT EXISTS (SELECT FROM segments AS s WHERE s.segment = 0 AND %s)',
                                    v_select_untouched, v_relation, v_live_join) END,
        -- only the entries of some slots (found through the row_log key index)
        CASE WHEN slots IS NULL THEN ''
             ELSE pg_catalog.format('AND r.table_id = %s AND pg_catalog.jsonb_hash(r.row_key) = ANY (%L::integer[]) AND r.row_key = ANY (%L::jsonb[])',
                                    table_id, (SELECT pg_catalog.array_agg(pg_catalog.jsonb_hash(x)) FROM pg_catalog.unnest(slots) AS x), slots) END);
END
$function$;

-- state_query's common case (see there): only UPDATEs since the cut, no key changed, the same shape.
-- Each column is its logged old value where the row's entries hold one (read as its type, see
-- state_json_value), else the row's value now. With a single UPDATE since the cut, each row has
-- one entry at most: no merge is needed.
CREATE FUNCTION chronicle.state_query_updates_only(table_id integer, cut chronicle.cut, relation regclass,
                                                              version chronicle.audit_table_log, key_columns name[],
                                                              single_event boolean)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    -- (the leading comment tells restore_state_at which kind of query this is)
    SELECT pg_catalog.format($query$/* chronicle: overlay */
WITH later_events AS MATERIALIZED (
    SELECT x.event_id, pg_catalog.row_number() OVER (ORDER BY x.transaction_order, x.statement_order, x.nesting_depth, x.event_id) AS pos
    FROM (SELECT e.id AS event_id, e.statement_order, e.nesting_depth, e.operation,
                 pg_catalog.max(e.id) OVER (PARTITION BY e.transaction_id) AS transaction_order
          FROM chronicle.table_event_log AS e
          WHERE e.table_id = %1$s AND e.transaction_id IN (SELECT chronicle.transactions_after(%2$L::chronicle.cut))) AS x
    WHERE x.operation = 'UPDATE'
), overlay AS (
    SELECT %3$s, %4$s AS old_data
    FROM later_events AS ev
    JOIN chronicle.row_log AS r ON r.event_id = ev.event_id
    WHERE r.event_id >= (SELECT pg_catalog.min(l.event_id) FROM later_events AS l)
    %8$s
)
SELECT %5$s
FROM %6$s AS chronicle_row
LEFT JOIN overlay AS o ON %7$s$query$,
        table_id, cut::text,
        -- (the table has the shape it had then: its key columns are those of then)
        pg_catalog.string_agg(pg_catalog.format('%s AS k%s', chronicle.state_json_key(relation, k.name, 'r.row_key'), k.ord), ', ' ORDER BY k.ord),
        -- (a single entry's old_data read into memory once: every column is read from it, and
        -- each read of a large one would decompress it all again; OFFSET 0, below, keeps the read
        -- from being folded into each column's)
        CASE WHEN single_event THEN 'r.old_data OPERATOR(pg_catalog.||) ''{}''::pg_catalog.jsonb' ELSE 'chronicle.jsonb_merge(r.old_data ORDER BY ev.pos DESC)' END,
        -- key columns are never in old_data here (no entry moved a row)
        (SELECT pg_catalog.string_agg(CASE WHEN a.attname = ANY (key_columns) THEN pg_catalog.format('chronicle_row.%I', a.attname)
                                           WHEN a.attname = ANY (version.excluded_columns) OR a.attgenerated = 'v'
                                           THEN pg_catalog.format('NULL::%s', pg_catalog.format_type(a.atttypid, a.atttypmod))
                                           ELSE pg_catalog.format('CASE WHEN o.old_data ? %L THEN %s ELSE chronicle_row.%I END',
                                                                  a.attname, chronicle.state_json_value(relation, a.attname, a.atttypid, a.atttypmod, 'o.old_data'), a.attname) END
                                      || pg_catalog.format(' AS %I', a.attname), ', ' ORDER BY a.attnum)
         FROM pg_catalog.pg_attribute AS a WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped),
        relation,
        pg_catalog.string_agg(pg_catalog.format('chronicle_row.%I = o.k%s', k.name, k.ord), ' AND ' ORDER BY k.ord),
        CASE WHEN single_event THEN 'OFFSET 0' ELSE 'GROUP BY ' || pg_catalog.string_agg(pg_catalog.format('k%s', k.ord), ', ' ORDER BY k.ord) END)
    FROM pg_catalog.unnest(key_columns) WITH ORDINALITY AS k(name, ord)
$function$;

-- The SQL expression reading column_name of a logged jsonb (the expression source, e.g.
-- o.old_data) as its type, as jsonb_populate_record would: a cast of its text for scalars (->>
-- gives the text of a JSON scalar, or the text form a lossy value was logged as); for json and
-- jsonb the value itself, JSON null read as NULL (jsonb_populate_record does the same, and a
-- whole record per value cost a fifth of a revert of a DELETE); jsonb_populate_record itself for
-- values logged as JSON arrays or objects (arrays, composites, types with a cast to json or
-- jsonb, and domains over those).
CREATE FUNCTION chronicle.state_json_value(relation regclass, column_name name, value_type oid, value_typmod integer, source text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    WITH RECURSIVE base(oid, typtype, typcategory, typbasetype) AS (
        SELECT t.oid, t.typtype, t.typcategory, t.typbasetype FROM pg_catalog.pg_type AS t WHERE t.oid = value_type
        UNION ALL
        SELECT t.oid, t.typtype, t.typcategory, t.typbasetype FROM base AS b JOIN pg_catalog.pg_type AS t ON t.oid = b.typbasetype WHERE b.typtype = 'd'
    )
    SELECT CASE WHEN b.oid IN ('pg_catalog.json'::pg_catalog.regtype, 'pg_catalog.jsonb'::pg_catalog.regtype)
                THEN pg_catalog.format('(NULLIF(%s -> %L, ''null''::pg_catalog.jsonb))::%s',
                                       source, column_name, pg_catalog.format_type(value_type, value_typmod))
                WHEN b.typtype = 'c' OR b.typcategory = 'A'
                     OR EXISTS (SELECT FROM pg_catalog.pg_cast AS c
                                WHERE c.castsource = b.oid AND c.casttarget IN ('pg_catalog.json'::pg_catalog.regtype, 'pg_catalog.jsonb'::pg_catalog.regtype))
                THEN pg_catalog.format('(pg_catalog.jsonb_populate_record(NULL::%s, pg_catalog.jsonb_build_object(%L, %s -> %L))).%I',
                                       relation, column_name, source, column_name, column_name)
                ELSE pg_catalog.format('(%s ->> %L)::%s', source, column_name, pg_catalog.format_type(value_type, value_typmod)) END
    FROM base AS b WHERE b.typtype <> 'd'
$function$;

-- The SQL expression reading a key column of a relation from a logged key (the jsonb expression
-- source, e.g. r.row_key) as its type: integers straight from their JSON numbers (jsonb casts to
-- them, and a key is never NULL), other types as state_json_value reads any column.
CREATE FUNCTION chronicle.state_json_key(relation regclass, column_name name, source text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT CASE WHEN a.atttypid IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype, 'pg_catalog.int8'::pg_catalog.regtype)
                THEN pg_catalog.format('(%s -> %L)::%s', source, column_name, pg_catalog.format_type(a.atttypid, a.atttypmod))
                ELSE chronicle.state_json_value(relation, column_name, a.atttypid, a.atttypmod, source) END
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = relation AND a.attname = column_name AND a.attnum > 0 AND NOT a.attisdropped
$function$;

COMMENT ON FUNCTION chronicle.state_json_value(regclass, name, oid, integer, text) IS
    'Internal, for time travel: the SQL reading a column of a logged jsonb as its type.';
COMMENT ON FUNCTION chronicle.state_json_key(regclass, name, text) IS
    'Internal, for time travel and revert: the SQL reading a key column of a logged key as its type.';
COMMENT ON FUNCTION chronicle.state_query_updates_only(integer, chronicle.cut, regclass, chronicle.audit_table_log, name[], boolean) IS
    'Internal, for time travel: state_query when the table saw only key-preserving UPDATEs since the cut.';
COMMENT ON FUNCTION chronicle.state_query(integer, chronicle.cut, text, jsonb[]) IS
    'Internal, for time travel: the SQL of an audited table''s rows at a cut, in its shape then or today''s row type.';

-- ==== functions (src/sql/functions/history/table_diff.sql)
-- What changed in an audited table between two points (docs/time-travel.md, "Differences"): the
-- two states, matched by the values of their row keys, compared row by row as jsonb. Only the
-- rows that differ are taken apart column by column. Values are compared by their jsonb text,
-- not by jsonb equality, which takes numbers as equal by value: numeric 1.5 and 1.50 differ.
CREATE FUNCTION chronicle.table_diff_at(table_id integer, from_cut chronicle.cut, to_cut chronicle.cut)
RETURNS TABLE (change text, row_key jsonb, old_values jsonb, new_values jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_from_key name[] := (chronicle.state_version(table_id, from_cut)).key_columns;
    v_to_key name[] := (chronicle.state_version(table_id, to_cut)).key_columns;
BEGIN
    IF pg_catalog.cardinality(v_from_key) <> pg_catalog.cardinality(v_to_key) THEN
        RAISE EXCEPTION 'the row key of table id % changed between % and %', table_id, (from_cut).description, (to_cut).description
            USING ERRCODE = 'feature_not_supported', HINT = 'Rows are matched by their key; compare points on the same side of the key change.';
    END IF;
    RETURN QUERY
    WITH before AS (
        SELECT r AS data, (SELECT pg_catalog.jsonb_agg(r -> k ORDER BY o) FROM pg_catalog.unnest(v_from_key) WITH ORDINALITY AS u(k, o)) AS key_values
        FROM chronicle.state_rows_jsonb(table_id, from_cut) AS r
    ), after AS (
        SELECT r AS data, (SELECT pg_catalog.jsonb_agg(r -> k ORDER BY o) FROM pg_catalog.unnest(v_to_key) WITH ORDINALITY AS u(k, o)) AS key_values
        FROM chronicle.state_rows_jsonb(table_id, to_cut) AS r
    )
    SELECT CASE WHEN b.data IS NULL THEN 'INSERT' WHEN a.data IS NULL THEN 'DELETE' ELSE 'UPDATE' END,
           CASE WHEN a.data IS NULL
                THEN (SELECT pg_catalog.jsonb_object_agg(k, b.data -> k) FROM pg_catalog.unnest(v_from_key) AS k)
                ELSE (SELECT pg_catalog.jsonb_object_agg(k, a.data -> k) FROM pg_catalog.unnest(v_to_key) AS k) END,
           CASE WHEN b.data IS NULL THEN NULL WHEN a.data IS NULL THEN b.data
                ELSE (SELECT pg_catalog.jsonb_object_agg(x.key, x.value) FROM pg_catalog.jsonb_each(b.data) AS x
                      WHERE NOT (a.data ? x.key AND (a.data -> x.key)::text = x.value::text)) END,
           CASE WHEN a.data IS NULL THEN NULL WHEN b.data IS NULL THEN a.data
                ELSE (SELECT pg_catalog.jsonb_object_agg(x.key, x.value) FROM pg_catalog.jsonb_each(a.data) AS x
                      WHERE NOT (b.data ? x.key AND (b.data -> x.key)::text = x.value::text)) END
    FROM before AS b
    FULL JOIN after AS a ON a.key_values = b.key_values
    WHERE a.data::text IS DISTINCT FROM b.data::text;
END
$function$;

CREATE FUNCTION chronicle.table_diff(relation regclass, from_point text, to_point text)
RETURNS TABLE (change text, row_key jsonb, old_values jsonb, new_values jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT * FROM chronicle.table_diff_at(chronicle.history_table_id(relation), chronicle.cut(from_point), chronicle.cut(to_point)) $function$;

CREATE FUNCTION chronicle.table_diff(relation regclass, from_point timestamptz, to_point timestamptz)
RETURNS TABLE (change text, row_key jsonb, old_values jsonb, new_values jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT * FROM chronicle.table_diff_at(chronicle.history_table_id(relation), chronicle.cut(from_point), chronicle.cut(to_point)) $function$;

CREATE FUNCTION chronicle.table_diff(relation regclass, from_point bigint, to_point bigint)
RETURNS TABLE (change text, row_key jsonb, old_values jsonb, new_values jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT * FROM chronicle.table_diff_at(chronicle.history_table_id(relation), chronicle.cut(from_point), chronicle.cut(to_point)) $function$;

COMMENT ON FUNCTION chronicle.table_diff_at(integer, chronicle.cut, chronicle.cut) IS 'Internal: table_diff between two cuts.';
COMMENT ON FUNCTION chronicle.table_diff(regclass, text, text) IS
    'The rows of an audited table inserted, deleted and changed between two points (mark names or timestamps), with old and new values.';
COMMENT ON FUNCTION chronicle.table_diff(regclass, timestamptz, timestamptz) IS 'The rows of an audited table inserted, deleted and changed between two timestamps.';
COMMENT ON FUNCTION chronicle.table_diff(regclass, bigint, bigint) IS 'The rows of an audited table inserted, deleted and changed between two transactions.';

-- ==== functions (src/sql/functions/logging/log_event.sql)
-- Statement order within a transaction (docs/log-tables.md, "Order of changes").
--
-- Event ids are drawn when a statement's capture trigger runs, after the statement's rows changed.
-- That orders changes right between transactions (a row changed by two transactions is locked by
-- the first until it commits), but not within one: a statement run by a trigger or a foreign-key
-- cascade finishes, and logs, before the statement that ran it, though it changed its rows after.
-- So every audited statement draws a stamp when it starts (BEFORE STATEMENT), a nested statement
-- logs the stamps of the audited statements around it, and a statement that logs after nested
-- ones takes the place of the first of them (statement_order).

-- BEFORE STATEMENT trigger of audited tables: draws the statement's stamp at its nesting depth.
CREATE FUNCTION chronicle.stamp_statement()
RETURNS trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_stamp bigint;
BEGIN
    -- (an assignment is evaluated as a simple expression; PERFORM would start an executor)
    v_stamp := pg_catalog.nextval(CASE pg_catalog.pg_trigger_depth()
        WHEN 1 THEN 'chronicle.statement_stamp_1'::regclass
        WHEN 2 THEN 'chronicle.statement_stamp_2'::regclass
        WHEN 3 THEN 'chronicle.statement_stamp_3'::regclass
        WHEN 4 THEN 'chronicle.statement_stamp_4'::regclass
        WHEN 5 THEN 'chronicle.statement_stamp_5'::regclass
        WHEN 6 THEN 'chronicle.statement_stamp_6'::regclass
        WHEN 7 THEN 'chronicle.statement_stamp_7'::regclass
        END);
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION chronicle.stamp_statement() IS
    'Internal, BEFORE STATEMENT trigger of audited tables: marks the start of an audited statement at its nesting depth.';

-- The stamp of the audited statement running at a depth in this session; NULL where no audited
-- statement ran at that depth yet, and beyond depth 7 (deeper statements are ordered as logged).
CREATE FUNCTION chronicle.statement_stamp(depth integer)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF depth < 1 OR depth > 7 THEN
        RETURN NULL;
    END IF;
    RETURN pg_catalog.currval(pg_catalog.format('chronicle.statement_stamp_%s', depth)::regclass);
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    -- currval before any nextval in this session
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION chronicle.statement_stamp(integer) IS
    'Internal: stamp of the audited statement running at a trigger nesting depth in this session, or NULL.';

-- Called by the capture triggers of audited tables once per statement that changed rows: logs the
-- transaction on first use (chronicle.log_transaction) and the statement's event; returns its id.
--
-- A nested statement (trigger depth above 1) records the stamps of the audited statements around
-- it, and sets chronicle.nested_event_transaction to the transaction, so the statements around it
-- look for it when they log. The setting is only a hint to look: what is found is checked against
-- the stamps, which no role can forge; a role that resets the setting only loses the reordering of
-- its own transaction's nested statements.
CREATE FUNCTION chronicle.log_event(table_id integer, operation chronicle.event_operation)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_transaction_id bigint := chronicle.log_transaction();
    v_depth integer := pg_catalog.pg_trigger_depth();
    v_id bigint := pg_catalog.nextval('chronicle.table_event_log_id_seq'::regclass);
    v_order bigint := v_id;
    v_enclosing bigint[];
    v_stamp bigint;
BEGIN
    IF v_depth > 1 THEN
        SELECT pg_catalog.array_agg(chronicle.statement_stamp(d) ORDER BY d) INTO v_enclosing
        FROM pg_catalog.generate_series(1, v_depth - 1) AS d;
        PERFORM pg_catalog.set_config('chronicle.nested_event_transaction', v_transaction_id::text, false);
    END IF;
    -- Statements nested in this one logged before it: it started first, so it takes the place of
    -- the first of them. Only AFTER triggers log after what they ran: TRUNCATE logs from its
    -- BEFORE trigger, and a BASELINE outside any trigger.
    IF operation IN ('INSERT', 'UPDATE', 'DELETE')
       AND pg_catalog.current_setting('chronicle.nested_event_transaction', true) = v_transaction_id::text THEN
        v_stamp := chronicle.statement_stamp(v_depth);
        IF v_stamp IS NOT NULL THEN
            SELECT LEAST(v_id, pg_catalog.min(e.statement_order)) INTO v_order
            FROM chronicle.table_event_log AS e
            WHERE e.transaction_id = v_transaction_id AND e.nesting_depth > 1
              AND e.nesting_depth > v_depth AND e.enclosing_stamps[v_depth] = v_stamp AND e.id < v_id;
        END IF;
    END IF;
    INSERT INTO chronicle.table_event_log
        (id, transaction_id, table_id, operation, nesting_depth, statement_order, enclosing_stamps)
    OVERRIDING SYSTEM VALUE
    VALUES (v_id, v_transaction_id, table_id, operation, v_depth, v_order, v_enclosing);
    RETURN v_id;
END
$function$;

COMMENT ON FUNCTION chronicle.log_event(integer, chronicle.event_operation) IS
    'Internal, for the capture triggers: logs the statement''s event (and the transaction on first use); returns the event id.';

-- ==== functions (src/sql/functions/logging/log_transaction.sql)
-- Called by the capture triggers of audited tables at each statement: returns this transaction's
-- transaction_log id, inserting the row on the first call.
--
-- Later calls find the row by txid and start time (one probe of their unique index). The id is not kept
-- in a setting: any role can SET any custom setting, so a cached '<txid>:<id>' could be forged to
-- log a role's writes under another transaction (another session_user, another session_info),
-- and a RESET ALL in the middle of a transaction would lose it. The row itself cannot be forged,
-- and a rolled-back (sub)transaction takes it away, so the next write logs the transaction again.
-- The probe costs about 6 microseconds per statement more than reading a setting did.
--
-- enable_seqscan is off for the probe's sake: a session that first plans it while
-- transaction_log is empty (a fresh install, or after TRUNCATE) would otherwise keep a cached
-- sequential-scan plan while the table grows, and every audited statement would read it all.
CREATE FUNCTION chronicle.log_transaction()
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET enable_seqscan = off
AS $function$
DECLARE
    v_txid xid8 := pg_catalog.pg_current_xact_id();
    v_session_info_text text;
    v_session_info jsonb;
    v_id bigint;
BEGIN
    -- The start time tells this transaction from one of the same txid in a log restored from
    -- another cluster.
    SELECT t.id INTO v_id
    FROM chronicle.transaction_log AS t
    WHERE t.txid = v_txid AND t.started_at = pg_catalog.transaction_timestamp();
    IF FOUND THEN
        RETURN v_id;
    END IF;

    v_session_info_text := pg_catalog.current_setting('chronicle.session_info', true);
    IF v_session_info_text <> '' THEN
        BEGIN
            v_session_info := v_session_info_text::jsonb;
        EXCEPTION WHEN data_exception OR program_limit_exceeded THEN
            -- malformed JSON (22P02), \u0000 (22P05), a number out of range (22003), nesting too
            -- deep (54001)
            v_session_info := NULL;
        END;
        -- Never lose the application's write over its annotation: keep the text, and say so.
        IF v_session_info IS NULL OR pg_catalog.jsonb_typeof(v_session_info) <> 'object' THEN
            RAISE WARNING 'chronicle.session_info is not a JSON object; logged as {"invalid_session_info": ...}'
                USING HINT = 'SET chronicle.session_info to a JSON object, e.g. ''{"request_id": "42"}''.';
            v_session_info := pg_catalog.jsonb_build_object('invalid_session_info', v_session_info_text);
        END IF;
    END IF;

    INSERT INTO chronicle.transaction_log
        (txid, started_at, session_user_name, client_addr, client_port, application_name, session_info)
    VALUES
        (v_txid, pg_catalog.transaction_timestamp(), session_user, pg_catalog.inet_client_addr(),
         pg_catalog.inet_client_port(), pg_catalog.current_setting('application_name'), v_session_info)
    RETURNING id INTO v_id;
    RETURN v_id;
END
$function$;

COMMENT ON FUNCTION chronicle.log_transaction() IS
    'Internal, for the capture triggers: this transaction''s chronicle.transaction_log id, logging the transaction on first use.';

-- ==== functions (src/sql/functions/revert/revert_ddl.sql)
-- Undo of DDL events for chronicle.revert_transactions (docs/revert.md, "Structure changes").
-- Each DDL event of a reverted transaction is undone by the inverse DDL statement, run so that
-- DDL capture logs it like any other (the revert is itself revertable), with the values the log
-- holds written back by key: a dropped column is added again and refilled, a retyped column gets
-- its old type and its logged values, a dropped table is created again (its columns, defaults,
-- NOT NULL, identity and generated columns, and its row key as primary key), audited again under
-- the same table_id, and refilled. DDL that the log cannot undo is refused before anything runs
-- (chronicle.revert_ddl_refusal).

-- Why a DDL event cannot be undone from the log, or NULL when it can.
CREATE FUNCTION chronicle.revert_ddl_refusal(operation text, ddl jsonb)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT CASE
        WHEN operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'BASELINE') THEN NULL
        WHEN operation NOT IN ('ADD COLUMN', 'DROP COLUMN', 'RENAME COLUMN', 'ALTER COLUMN TYPE', 'ALTER COLUMN DEFAULT',
                               'ALTER COLUMN NOT NULL', 'ALTER COLUMN IDENTITY', 'RENAME TABLE', 'SET SCHEMA',
                               'DROP TABLE', 'CREATE TABLE')
            THEN pg_catalog.format('%s cannot be undone from the log', operation)
        WHEN (ddl ->> 'values_logged') = 'false'
            THEN pg_catalog.format('%s of column %s was recorded by sync_table_structure without its values', operation, ddl ->> 'column')
        WHEN operation = 'DROP TABLE' AND pg_catalog.jsonb_array_length(coalesce(ddl -> 'partitions', '[]')) > 0
            THEN pg_catalog.format('DROP TABLE of partitioned table %s.%s cannot be undone from the log', ddl ->> 'schema', ddl ->> 'table')
    END
$function$;

COMMENT ON FUNCTION chronicle.revert_ddl_refusal(text, jsonb) IS
    'Internal, for revert: why a DDL event cannot be undone from the log (NULL when it can).';

-- What the revert does to undo an event (the action column of revert_transactions).
CREATE FUNCTION chronicle.revert_action(operation text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT CASE operation
        WHEN 'INSERT' THEN 'DELETE'
        WHEN 'UPDATE' THEN 'UPDATE'
        WHEN 'DELETE' THEN 'INSERT'
        WHEN 'TRUNCATE' THEN 'INSERT'
        WHEN 'ADD COLUMN' THEN 'DROP COLUMN'
        WHEN 'DROP COLUMN' THEN 'ADD COLUMN'
        WHEN 'DROP TABLE' THEN 'CREATE TABLE'
        WHEN 'CREATE TABLE' THEN 'DROP TABLE'
        ELSE operation END
$function$;

COMMENT ON FUNCTION chronicle.revert_action(text) IS
    'Internal, for revert: the action that undoes an event of the given operation.';

-- The logged value (jsonb) of the column being retyped back, for the row with the given key: read
-- from pg_temp.chronicle_revert_values, filled by revert_ddl for one ALTER COLUMN TYPE. Called by
-- the USING expression of that statement, once per row.
CREATE FUNCTION chronicle.revert_logged_value(row_key jsonb)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_value jsonb;
BEGIN
    SELECT v.v INTO v_value FROM pg_temp.chronicle_revert_values AS v WHERE v.k = row_key;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cannot revert a column type change: row % has no logged value', row_key
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'The table was changed without being logged (while not audited, or with its capture triggers disabled), so the log no longer describes its rows. Nothing was changed.';
    END IF;
    RETURN v_value;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_logged_value(jsonb) IS
    'Internal, for revert: the logged old value of the column being retyped back, for one row key.';

-- Runs one DDL statement of a revert (DDL capture logs it: its event triggers fire ALWAYS, also
-- under the revert's session_replication_role = replica; the setting is not switched, since each
-- change of it discards every cached plan of the session), then sets the capture triggers of the
-- relation (re-created by DDL capture as ENABLE) to fire ALWAYS again.
CREATE FUNCTION chronicle.revert_ddl_execute(statement text, relation regclass)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_trigger record;
BEGIN
    IF statement IS NOT NULL THEN
        EXECUTE statement;
    END IF;
    IF relation IS NULL THEN
        RETURN;
    END IF;
    FOR v_trigger IN
        SELECT t.tgrelid::regclass AS target, t.tgname
        FROM pg_catalog.pg_trigger AS t
        WHERE t.tgname LIKE 'chronicle\_capture\_%' AND NOT t.tgisinternal AND t.tgenabled <> 'A'
          AND t.tgrelid IN (SELECT relation UNION SELECT p.relid FROM pg_catalog.pg_partition_tree(relation) AS p)
        ORDER BY t.tgrelid, t.tgname
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', v_trigger.target, v_trigger.tgname);
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_ddl_execute(text, regclass) IS
    'Internal, for revert: runs one DDL statement, then sets the capture triggers of the relation to fire ALWAYS.';

-- The pre-image of values the revert's own DDL statement destroys (what ddl_command_start logs
-- for a statement that names the table and columns in its text; the revert's statements are
-- dynamic SQL, so it logs them itself): columns NULL for a whole table about to be dropped.
CREATE FUNCTION chronicle.revert_ddl_pre_image(table_id integer, relation regclass, columns name[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
#variable_conflict use_variable
DECLARE
    v_version chronicle.audit_table_log;
    v_schema name;
    v_name name;
    v_columns name[];
BEGIN
    SELECT * INTO STRICT v_version FROM chronicle.audit_table_log AS t WHERE t.table_id = table_id AND t.valid_until IS NULL;
    SELECT n.nspname, c.relname INTO STRICT v_schema, v_name
    FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace WHERE c.oid = relation;
    IF columns IS NULL THEN
        PERFORM chronicle.ddl_log_rows(table_id, relation, false, 'DDL PRE-IMAGE',
            pg_catalog.jsonb_build_object('schema', v_schema, 'table', v_name, 'relation', pg_catalog.format('%I.%I', v_schema, v_name),
                                          'partition', false, 'partitions', '[]'::jsonb),
            NULL, false);
        RETURN;
    END IF;
    SELECT pg_catalog.array_agg(a.attname ORDER BY a.attnum) INTO v_columns
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = relation AND a.attname = ANY (columns) AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname <> ALL (v_version.excluded_columns) AND a.attgenerated <> 'v';
    IF NOT v_version.log_old_data OR v_columns IS NULL THEN
        RETURN;
    END IF;
    PERFORM chronicle.ddl_log_rows(table_id, relation, false, 'DDL PRE-IMAGE',
        pg_catalog.jsonb_build_object('schema', v_schema, 'table', v_name, 'columns', pg_catalog.to_jsonb(v_columns)),
        v_columns, false);
END
$function$;

COMMENT ON FUNCTION chronicle.revert_ddl_pre_image(integer, regclass, name[]) IS
    'Internal, for revert: logs the values the revert''s own DDL statement destroys, as DDL capture does.';

-- The column definition of a logged column version, for CREATE TABLE or ADD COLUMN. Identity and
-- NOT NULL are left out when with_identity is false (set after the column is refilled).
CREATE FUNCTION chronicle.revert_column_definition(version chronicle.audit_column_log, with_identity boolean)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.format('%I %s', version.column_name, version.data_type)
           || CASE WHEN version.generated IS NOT NULL
                   THEN pg_catalog.format(' GENERATED ALWAYS AS (%s) %s', version.column_default, version.generated)
                   WHEN version.identity IS NOT NULL AND with_identity
                   THEN pg_catalog.format(' GENERATED %s AS IDENTITY', version.identity)
                   WHEN version.column_default IS NOT NULL THEN ' DEFAULT ' || version.column_default
                   ELSE '' END
           || CASE WHEN version.not_null AND with_identity THEN ' NOT NULL' ELSE '' END
$function$;

COMMENT ON FUNCTION chronicle.revert_column_definition(chronicle.audit_column_log, boolean) IS
    'Internal, for revert: the SQL definition of a logged column version.';

-- Sequences that serial defaults of the columns name and that no longer exist (dropped with their
-- table or column): created again, so that the default works; set past the column's values later.
CREATE FUNCTION chronicle.revert_create_sequences(columns chronicle.audit_column_log[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_sequence record;
BEGIN
    FOR v_sequence IN
        SELECT m[1] AS name, c.data_type
        FROM pg_catalog.unnest(columns) AS c
        CROSS JOIN LATERAL pg_catalog.regexp_match(c.column_default, '^nextval\(''((?:[^'']|'''')+)''::regclass\)$') AS m
        WHERE c.generated IS NULL AND m IS NOT NULL
    LOOP
        CONTINUE WHEN pg_catalog.to_regclass(pg_catalog.replace(v_sequence.name, '''''', '''')) IS NOT NULL;
        EXECUTE pg_catalog.format('CREATE SEQUENCE %s%s', pg_catalog.replace(v_sequence.name, '''''', ''''),
            CASE WHEN v_sequence.data_type IN ('smallint', 'integer', 'bigint') THEN ' AS ' || v_sequence.data_type ELSE '' END);
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_create_sequences(chronicle.audit_column_log[]) IS
    'Internal, for revert: creates again the sequences of serial defaults that no longer exist.';

-- Sets the sequences of identity and serial columns past the largest value of their column; a
-- serial column's sequence created again belongs to its column again (OWNED BY).
CREATE FUNCTION chronicle.revert_set_sequences(relation regclass, columns name[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_column record;
BEGIN
    FOR v_column IN
        SELECT a.attname, a.attidentity <> '' AS is_identity,
               pg_catalog.pg_get_serial_sequence(relation::text, a.attname) AS owned,
               pg_catalog.replace((pg_catalog.regexp_match(pg_catalog.pg_get_expr(d.adbin, d.adrelid),
                                                           '^nextval\(''((?:[^'']|'''')+)''::regclass\)$'))[1], '''''', '''') AS serial
        FROM pg_catalog.pg_attribute AS a
        LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = relation AND a.attname = ANY (columns) AND a.attnum > 0 AND NOT a.attisdropped
          AND a.atttypid IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype)
    LOOP
        IF NOT v_column.is_identity AND v_column.serial IS NOT NULL AND v_column.owned IS NULL THEN
            EXECUTE pg_catalog.format('ALTER SEQUENCE %s OWNED BY %s.%I', v_column.serial, relation, v_column.attname);
        END IF;
        CONTINUE WHEN coalesce(v_column.owned, v_column.serial) IS NULL;
        EXECUTE pg_catalog.format('SELECT pg_catalog.setval(%L::regclass, m) FROM (SELECT pg_catalog.max(%I) AS m FROM %s) AS x WHERE m IS NOT NULL',
                                  coalesce(v_column.owned, v_column.serial), v_column.attname, relation);
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_set_sequences(regclass, name[]) IS
    'Internal, for revert: sets the sequences of identity and serial columns past their largest value.';

-- Undoes one DDL event (newest first, the table being as the event left it): returns the relation
-- undone on, how many rows got logged values back, and whether the relation was created.
CREATE FUNCTION chronicle.revert_ddl(event_id bigint, OUT relation regclass, OUT row_count bigint, OUT created boolean)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
#variable_conflict use_variable
DECLARE
    v_event chronicle.table_event_log;
    v_version chronicle.audit_table_log;
    v_column chronicle.audit_column_log;
    v_columns chronicle.audit_column_log[];
    v_ddl jsonb;
    v_op text;
    v_name name;
    v_count bigint;
    v_list name[];
    v_transaction_id bigint;
    v_new_event bigint;
    v_except boolean := false;
    v_default text := '';
    v_set_default text := '';
BEGIN
    SELECT * INTO STRICT v_event FROM chronicle.table_event_log AS e WHERE e.id = event_id;
    v_ddl := v_event.ddl;
    v_op := v_event.operation::text;
    row_count := 0;
    created := false;
    SELECT * INTO v_version FROM chronicle.audit_table_log AS t WHERE t.table_id = v_event.table_id AND t.valid_until IS NULL;
    IF v_version.id IS NOT NULL THEN
        relation := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_version.schema_name, v_version.table_name));
    END IF;
    IF v_op <> 'DROP TABLE' AND relation IS NULL THEN
        RAISE EXCEPTION 'cannot revert event % (%) of transaction %: the table (table id %) does not exist', event_id, v_op, v_event.transaction_id, v_event.table_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'The table was dropped or renamed without being logged. Nothing was changed.';
    END IF;

    IF v_op = 'ADD COLUMN' THEN
        PERFORM chronicle.revert_ddl_pre_image(v_event.table_id, relation, ARRAY[(v_ddl ->> 'column')::name]);
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s DROP COLUMN %I', relation, v_ddl ->> 'column'), relation);

    ELSIF v_op = 'DROP COLUMN' THEN
        SELECT * INTO v_column FROM chronicle.audit_column_log AS c
        WHERE c.table_id = v_event.table_id AND c.ordinal_position = (v_ddl ->> 'attnum')::smallint
          AND c.column_name = v_ddl ->> 'column' AND c.valid_until_event <= event_id
        ORDER BY c.id DESC LIMIT 1;
        IF v_column.id IS NULL THEN
            RAISE EXCEPTION 'cannot revert event % (DROP COLUMN) of transaction %: the dropped column % is not in chronicle.audit_column_log',
                            event_id, v_event.transaction_id, v_ddl ->> 'column'
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'The log of the table''s structure is incomplete. Nothing was changed.';
        END IF;
        PERFORM chronicle.revert_create_sequences(ARRAY[v_column]);
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s ADD COLUMN %s', relation,
            chronicle.revert_column_definition(v_column, false)), relation);
        IF v_column.generated IS NULL THEN
            SELECT pg_catalog.count(*) INTO v_count FROM chronicle.row_log AS r WHERE r.event_id = revert_ddl.event_id;
            IF v_count > 0 THEN
                -- (written as the table's owner, as the revert writes rows: revert_execute)
                row_count := (chronicle.revert_execute(relation, pg_catalog.format($sql$
                    UPDATE %1$s AS t SET %2$I = p.%2$I
                    FROM pg_temp.chronicle_revert_entries AS r
                    CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::%1$s, r.row_key || r.old_data) AS p
                    WHERE r.event_id = $1 AND %3$s$sql$,
                    relation, v_column.column_name,
                    chronicle.revert_key_condition(relation, v_version.key_columns, 't', 'p')), event_id)).row_count;
                IF row_count <> v_count THEN
                    RAISE EXCEPTION 'cannot revert event % (DROP COLUMN) of transaction % on %: % of its % rows are not as it left them',
                                    event_id, v_event.transaction_id, relation, v_count - row_count, v_count
                        USING ERRCODE = 'object_not_in_prerequisite_state',
                              HINT = 'The table was changed without being logged (while not audited, or with its capture triggers disabled), so the log no longer describes its rows. Nothing was changed.';
                END IF;
            END IF;
        END IF;
        IF v_column.identity IS NOT NULL THEN
            PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET NOT NULL, ALTER COLUMN %I ADD GENERATED %s AS IDENTITY',
                relation, v_column.column_name, v_column.column_name, v_column.identity), relation);
        ELSIF v_column.not_null THEN
            PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET NOT NULL', relation, v_column.column_name), relation);
        END IF;
        PERFORM chronicle.revert_set_sequences(relation, ARRAY[v_column.column_name]);

    ELSIF v_op = 'RENAME COLUMN' THEN
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s RENAME COLUMN %I TO %I', relation,
            v_ddl ->> 'new_name', v_ddl ->> 'old_name'), relation);

    ELSIF v_op = 'ALTER COLUMN TYPE' THEN
        v_name := v_ddl ->> 'column';
        SELECT pg_catalog.count(*) INTO v_count FROM chronicle.row_log AS r WHERE r.event_id = revert_ddl.event_id;
        -- The default goes with the type, in the same statement (a default of the new type may not
        -- cast to the old one): dropped, then the default the column had with its old type.
        SELECT * INTO v_column FROM chronicle.audit_column_log AS c
        WHERE c.table_id = v_event.table_id AND c.column_name = v_name AND c.data_type = v_ddl ->> 'old_type'
          AND c.valid_until_event <= event_id
        ORDER BY c.id DESC LIMIT 1;
        v_default := pg_catalog.format('ALTER COLUMN %I DROP DEFAULT, ', v_name);
        v_set_default := CASE WHEN v_column.generated IS NULL AND v_column.column_default IS NOT NULL
                              THEN pg_catalog.format(', ALTER COLUMN %I SET DEFAULT %s', v_name, v_column.column_default) ELSE '' END;
        IF v_count = 0 THEN
            -- values not logged (an excluded column, or an empty table): cast
            PERFORM chronicle.revert_ddl_pre_image(v_event.table_id, relation, ARRAY[v_name]);
            PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s %sALTER COLUMN %I TYPE %s USING %I::%s%s',
                relation, v_default, v_name, v_ddl ->> 'old_type', v_name, v_ddl ->> 'old_type', v_set_default), relation);
        ELSE
            DROP TABLE IF EXISTS pg_temp.chronicle_revert_values;
            CREATE TEMPORARY TABLE chronicle_revert_values (k jsonb PRIMARY KEY, v jsonb) ON COMMIT DROP;
            INSERT INTO pg_temp.chronicle_revert_values (k, v)
            SELECT r.row_key, pg_catalog.jsonb_build_object('v', r.old_data -> v_name)
            FROM chronicle.row_log AS r WHERE r.event_id = revert_ddl.event_id;
            DROP TYPE IF EXISTS pg_temp.chronicle_revert_value;
            EXECUTE pg_catalog.format('CREATE TYPE pg_temp.chronicle_revert_value AS (v %s)', v_ddl ->> 'old_type');
            -- (after the statements above: the end of each DDL statement deletes unused pre-images)
            PERFORM chronicle.revert_ddl_pre_image(v_event.table_id, relation, ARRAY[v_name]);
            PERFORM chronicle.revert_ddl_execute(pg_catalog.format(
                'ALTER TABLE %1$s %5$sALTER COLUMN %2$I TYPE %3$s USING (pg_catalog.jsonb_populate_record(NULL::pg_temp.chronicle_revert_value, '
                'chronicle.revert_logged_value(%4$s))).v%6$s',
                relation, v_name, v_ddl ->> 'old_type',
                chronicle.capture_key_expression(relation, v_version.key_columns, pg_catalog.quote_ident((SELECT c.relname FROM pg_catalog.pg_class AS c WHERE c.oid = relation))),
                v_default, v_set_default),
                relation);
            DROP TYPE pg_temp.chronicle_revert_value;
            DROP TABLE pg_temp.chronicle_revert_values;
            row_count := v_count;
        END IF;

    ELSIF v_op = 'ALTER COLUMN DEFAULT' THEN
        BEGIN
            PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I %s', relation, v_ddl ->> 'column',
                CASE WHEN v_ddl ->> 'old_default' IS NULL THEN 'DROP DEFAULT' ELSE 'SET DEFAULT ' || (v_ddl ->> 'old_default') END), relation);
        EXCEPTION WHEN datatype_mismatch THEN
            -- The old default is of the column's old type: the statement changed the type too, and
            -- the undo of that type change, next, sets the old default with the old type.
            NULL;
        END;

    ELSIF v_op = 'ALTER COLUMN NOT NULL' THEN
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I %s NOT NULL', relation, v_ddl ->> 'column',
            CASE WHEN (v_ddl ->> 'old_not_null')::boolean THEN 'SET' ELSE 'DROP' END), relation);

    ELSIF v_op = 'ALTER COLUMN IDENTITY' THEN
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I %s', relation, v_ddl ->> 'column',
            CASE WHEN v_ddl ->> 'old_identity' IS NULL THEN 'DROP IDENTITY'
                 WHEN v_ddl ->> 'new_identity' IS NULL THEN pg_catalog.format('ADD GENERATED %s AS IDENTITY', v_ddl ->> 'old_identity')
                 ELSE pg_catalog.format('SET GENERATED %s', v_ddl ->> 'old_identity') END), relation);
        IF v_ddl ->> 'old_identity' IS NOT NULL AND v_ddl ->> 'new_identity' IS NULL THEN
            PERFORM chronicle.revert_set_sequences(relation, ARRAY[(v_ddl ->> 'column')::name]);
        END IF;

    ELSIF v_op = 'RENAME TABLE' THEN
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s RENAME TO %I', relation, v_ddl ->> 'old_name'), relation);

    ELSIF v_op = 'SET SCHEMA' THEN
        IF pg_catalog.to_regnamespace(pg_catalog.quote_ident(v_ddl ->> 'old_schema')) IS NULL THEN
            RAISE EXCEPTION 'cannot revert event % (SET SCHEMA) of transaction %: schema % does not exist', event_id, v_event.transaction_id,
                            pg_catalog.quote_ident(v_ddl ->> 'old_schema')
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'The schema was renamed or dropped: create it (or rename it back) first. Nothing was changed.';
        END IF;
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s SET SCHEMA %I', relation, v_ddl ->> 'old_schema'), relation);

    ELSIF v_op = 'CREATE TABLE' THEN
        -- (a revert's re-creation of a dropped table, undone: its rows were taken out already)
        PERFORM chronicle.revert_ddl_pre_image(v_event.table_id, relation, NULL);
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('DROP TABLE %s', relation), NULL);

    ELSIF v_op = 'DROP TABLE' THEN
        IF v_version.id IS NOT NULL THEN
            RAISE EXCEPTION 'cannot revert event % (DROP TABLE) of transaction %: the table is audited again (as %.%)', event_id, v_event.transaction_id,
                            pg_catalog.quote_ident(v_version.schema_name), pg_catalog.quote_ident(v_version.table_name)
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Nothing was changed.';
        END IF;
        SELECT * INTO STRICT v_version FROM chronicle.audit_table_log AS t
        WHERE t.table_id = v_event.table_id AND t.valid_until_event = event_id;
        IF pg_catalog.to_regnamespace(pg_catalog.quote_ident(v_version.schema_name)) IS NULL THEN
            RAISE EXCEPTION 'cannot revert event % (DROP TABLE) of transaction %: schema % does not exist', event_id, v_event.transaction_id,
                            pg_catalog.quote_ident(v_version.schema_name)
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'The table was dropped with its schema (DROP SCHEMA ... CASCADE): create the schema first, then revert. Nothing was changed.';
        END IF;
        IF pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_version.schema_name, v_version.table_name)) IS NOT NULL THEN
            RAISE EXCEPTION 'cannot revert event % (DROP TABLE) of transaction %: a relation %.% exists', event_id, v_event.transaction_id,
                            pg_catalog.quote_ident(v_version.schema_name), pg_catalog.quote_ident(v_version.table_name)
                USING ERRCODE = 'duplicate_table',
                      HINT = 'Another table took the name of the dropped one: rename or drop it first. Nothing was changed.';
        END IF;
        SELECT pg_catalog.array_agg(c ORDER BY c.ordinal_position) INTO v_columns
        FROM chronicle.audit_column_log AS c WHERE c.table_id = v_event.table_id AND c.valid_until_event = event_id;
        -- a schema whose new tables are audited would audit it as a new table: not this one
        UPDATE chronicle.auto_audit_schema AS s SET except_tables = s.except_tables || v_version.table_name
        WHERE s.schema_name = v_version.schema_name AND v_version.table_name <> ALL (s.except_tables);
        v_except := FOUND;
        PERFORM chronicle.revert_create_sequences(v_columns);
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('CREATE TABLE %I.%I (%s, PRIMARY KEY (%s))',
            v_version.schema_name, v_version.table_name,
            (SELECT pg_catalog.string_agg(chronicle.revert_column_definition(c, true), ', ' ORDER BY c.ordinal_position)
             FROM pg_catalog.unnest(v_columns) AS c),
            (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(k), ', ' ORDER BY o)
             FROM pg_catalog.unnest(v_version.key_columns) WITH ORDINALITY AS x(k, o))), NULL);
        IF v_except THEN
            UPDATE chronicle.auto_audit_schema AS s SET except_tables = pg_catalog.array_remove(s.except_tables, v_version.table_name)
            WHERE s.schema_name = v_version.schema_name;
        END IF;
        relation := pg_catalog.format('%I.%I', v_version.schema_name, v_version.table_name)::regclass;
        created := true;
        -- audited again under its table_id: a new version, started by a CREATE TABLE event
        v_transaction_id := chronicle.log_transaction();
        v_new_event := chronicle.ddl_log_event(v_event.table_id, 'CREATE TABLE',
            pg_catalog.jsonb_build_object('schema', v_version.schema_name, 'table', v_version.table_name, 'dropped_by_event', event_id));
        INSERT INTO chronicle.audit_table_log
            (table_id, schema_name, table_name, key_columns, log_old_data, log_new_data, excluded_columns, valid_from, valid_from_event)
        VALUES (v_version.table_id, v_version.schema_name, v_version.table_name, v_version.key_columns, v_version.log_old_data,
                v_version.log_new_data, v_version.excluded_columns, v_transaction_id, v_new_event);
        INSERT INTO chronicle.audit_column_log
            (table_id, column_name, ordinal_position, data_type, column_default, not_null, generated, identity, valid_from, valid_from_event)
        SELECT v_version.table_id, a.attname, a.attnum, pg_catalog.format_type(a.atttypid, a.atttypmod),
               pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attnotnull,
               CASE a.attgenerated WHEN 's' THEN 'STORED' WHEN 'v' THEN 'VIRTUAL' END,
               CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END,
               v_transaction_id, v_new_event
        FROM pg_catalog.pg_attribute AS a
        LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped;
        PERFORM chronicle.install_capture(v_version.table_id, relation);
        PERFORM chronicle.revert_ddl_execute(NULL, relation);
        -- its rows, as for a TRUNCATE (captured as an INSERT)
        v_list := chronicle.revert_columns(relation, v_version.excluded_columns, true);
        EXECUTE pg_catalog.format($sql$
            INSERT INTO %1$s AS t (%2$s) OVERRIDING SYSTEM VALUE
            SELECT %3$s FROM chronicle.row_log AS r
            CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::%1$s, r.old_data) AS p
            WHERE r.event_id = $1$sql$,
            relation,
            (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ' ORDER BY o) FROM pg_catalog.unnest(v_list) WITH ORDINALITY AS x(c, o)),
            (SELECT pg_catalog.string_agg('p.' || pg_catalog.quote_ident(c), ', ' ORDER BY o) FROM pg_catalog.unnest(v_list) WITH ORDINALITY AS x(c, o)))
        USING event_id;
        GET DIAGNOSTICS row_count = ROW_COUNT;
        PERFORM chronicle.revert_set_sequences(relation, ARRAY(SELECT c.column_name FROM pg_catalog.unnest(v_columns) AS c));

    ELSE
        RAISE EXCEPTION 'cannot revert event % (%) of transaction %: %', event_id, v_op, v_event.transaction_id,
                        coalesce(chronicle.revert_ddl_refusal(v_op, v_ddl), 'not a DDL event')
            USING ERRCODE = 'feature_not_supported', HINT = 'Nothing was changed.';
    END IF;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_ddl(bigint) IS
    'Internal, for revert: undoes one DDL event by the inverse DDL (captured like any other), writing logged values back by key.';

-- ==== functions (src/sql/functions/revert/revert_support.sql)
-- Support for chronicle.revert_transactions: SQL fragments rendered from the catalog (key
-- matching, column lists), the revert chain, triggers during a revert, and the foreign-key check.

-- The SQL condition matching rows of two aliases of a relation's row type on its key columns,
-- each compared with the equality operator of its type's default btree operator class (the one
-- a unique key uses), named with its schema so that no search_path is needed, e.g.
-- t."id" OPERATOR(pg_catalog.=) s."id". Types without such an operator of their own (arrays,
-- enums, ranges) use pg_catalog's polymorphic one. With right_is_json, right_alias is a logged
-- key (a jsonb expression such as r.row_key) and each key value is read from it as time travel
-- reads keys (chronicle.state_json_key); that skips building a whole record per logged row.
CREATE FUNCTION chronicle.revert_key_condition(relation regclass, key_columns name[], left_alias text, right_alias text,
                                                          right_is_json boolean DEFAULT false)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.string_agg(
               pg_catalog.format('%s.%I OPERATOR(%s) %s', left_alias, k.name, coalesce(op.name, 'pg_catalog.='),
                                 CASE WHEN right_is_json THEN chronicle.state_json_key(relation, k.name, right_alias)
                                      ELSE pg_catalog.format('%s.%I', right_alias, k.name) END),
               ' AND ' ORDER BY k.ord)
    FROM pg_catalog.unnest(key_columns) WITH ORDINALITY AS k(name, ord)
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = relation AND a.attname = k.name AND NOT a.attisdropped
    JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
    LEFT JOIN LATERAL (
        SELECT pg_catalog.format('%I.%s', n.nspname, o.oprname) AS name
        FROM pg_catalog.pg_opclass AS c
        JOIN pg_catalog.pg_am AS am ON am.oid = c.opcmethod AND am.amname = 'btree'
        JOIN pg_catalog.pg_amop AS ao
          ON ao.amopfamily = c.opcfamily AND ao.amoplefttype = c.opcintype
         AND ao.amoprighttype = c.opcintype AND ao.amopstrategy = 3
        JOIN pg_catalog.pg_operator AS o ON o.oid = ao.amopopr
        JOIN pg_catalog.pg_namespace AS n ON n.oid = o.oprnamespace
        WHERE c.opcdefault
          AND c.opcintype = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
        LIMIT 1
    ) AS op ON true
$function$;

COMMENT ON FUNCTION chronicle.revert_key_condition(regclass, name[], text, text, boolean) IS
    'Internal, for revert: the condition matching two row aliases of a relation (or a row alias and a logged key) on its key columns.';

-- The columns a revert writes: every column but dropped and generated ones; without the excluded
-- columns when for_insert (they are not logged, so a re-inserted row gets their default); without
-- identity columns GENERATED ALWAYS when not for_insert (an UPDATE cannot set them).
CREATE FUNCTION chronicle.revert_columns(relation regclass, excluded_columns name[], for_insert boolean)
RETURNS name[]
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT coalesce(pg_catalog.array_agg(a.attname ORDER BY a.attnum), '{}')
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      AND (NOT for_insert OR a.attname <> ALL (excluded_columns))
      AND (for_insert OR a.attidentity <> 'a')
$function$;

COMMENT ON FUNCTION chronicle.revert_columns(regclass, name[], boolean) IS
    'Internal, for revert: the columns a revert writes (INSERT or UPDATE).';

-- The FROM item of the entries of event $1 as r, with old_data and the other_columns listed
-- (e.g. 'r.row_key, '), for a write run as the table's owner (revert_execute: it reads them
-- through pg_temp.chronicle_revert_entries); without detoast_once, PostgreSQL folds it into the
-- statement. Every read
-- of a value from a large old_data (compressed, or stored out of line) decompresses all of it
-- again: with several reads per entry (many columns of a wide row), detoast_once reads each
-- entry's old_data once into memory first ("|| '{}'" returns its operand, in memory; OFFSET 0
-- keeps that from being folded back into each read).
CREATE FUNCTION chronicle.revert_entries(detoast_once boolean, other_columns text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.format('(SELECT %sr.old_data%s AS old_data FROM pg_temp.chronicle_revert_entries AS r WHERE r.event_id = $1%s) AS r',
                             other_columns,
                             CASE WHEN detoast_once THEN ' OPERATOR(pg_catalog.||) ''{}''::pg_catalog.jsonb' ELSE '' END,
                             CASE WHEN detoast_once THEN ' OFFSET 0' ELSE '' END)
$function$;

COMMENT ON FUNCTION chronicle.revert_entries(boolean, text) IS
    'Internal, for revert: the FROM item of an event''s entries, their old_data detoasted once where it is read several times.';

-- The revert in force of a transaction: the transaction that reverted it and was not itself
-- reverted (recursively), or NULL when the transaction's changes stand.
CREATE FUNCTION chronicle.revert_active_revert(transaction_id bigint)
RETURNS bigint
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_revert bigint;
BEGIN
    FOR v_revert IN
        SELECT r.revert_transaction_id FROM chronicle.revert_log AS r
        WHERE r.reverted_transaction_id = revert_active_revert.transaction_id
        ORDER BY r.revert_transaction_id DESC
    LOOP
        IF chronicle.revert_active_revert(v_revert) IS NULL THEN
            RETURN v_revert;
        END IF;
    END LOOP;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_active_revert(bigint) IS
    'Internal, for revert: the transaction whose revert of the given transaction is in force (not itself reverted), or NULL.';

-- The relations a revert writes: the given ones and every partition of them (pg_partition_tree
-- lists nothing for a table that is not partitioned).
CREATE FUNCTION chronicle.revert_written_relations(relations regclass[])
RETURNS SETOF regclass
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT r.relation FROM pg_catalog.unnest(relations) AS r(relation)
    UNION
    SELECT p.relid FROM pg_catalog.unnest(relations) AS r(relation),
           LATERAL pg_catalog.pg_partition_tree(r.relation) AS p
$function$;

COMMENT ON FUNCTION chronicle.revert_written_relations(regclass[]) IS
    'Internal, for revert: the relations and all their partitions.';

-- Sets the user triggers of the relations (and their partitions) for a revert, or back:
-- when starting, chronicle's capture triggers and the triggers named in keep fire ALWAYS (the
-- revert runs with session_replication_role = replica, so that foreign-key actions and checks
-- do not fire and the logged changes of every table are undone exactly), every other user
-- trigger is disabled; returns what to restore. When restoring, sets each back as it was.
CREATE FUNCTION chronicle.revert_set_triggers(relations regclass[], keep name[], restore jsonb)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_trigger record;
    v_saved jsonb := '[]';
    v_item jsonb;
    v_current "char";
BEGIN
    IF restore IS NOT NULL THEN
        FOR v_item IN SELECT x FROM pg_catalog.jsonb_array_elements(restore) AS x LOOP
            SELECT t.tgenabled INTO v_current FROM pg_catalog.pg_trigger AS t
            WHERE t.tgrelid = (v_item ->> 'relation')::oid AND t.tgname = (v_item ->> 'trigger');
            CONTINUE WHEN v_current IS NULL OR v_current = (v_item ->> 'enabled')::"char";
            EXECUTE pg_catalog.format('ALTER TABLE %s %s TRIGGER %I', (v_item ->> 'relation')::oid::regclass,
                CASE v_item ->> 'enabled' WHEN 'O' THEN 'ENABLE' WHEN 'A' THEN 'ENABLE ALWAYS'
                                          WHEN 'R' THEN 'ENABLE REPLICA' ELSE 'DISABLE' END,
                v_item ->> 'trigger');
        END LOOP;
        RETURN NULL;
    END IF;
    FOR v_trigger IN
        SELECT t.tgrelid, t.tgname, t.tgenabled,
               CASE WHEN t.tgname LIKE 'chronicle\_capture\_%' OR t.tgname = ANY (keep) THEN 'A' ELSE 'D' END AS wanted
        FROM pg_catalog.pg_trigger AS t
        WHERE NOT t.tgisinternal
          AND t.tgrelid IN (SELECT w.relation FROM chronicle.revert_written_relations(relations) AS w(relation))
        ORDER BY t.tgrelid, t.tgname
    LOOP
        v_saved := v_saved || pg_catalog.jsonb_build_object('relation', v_trigger.tgrelid::bigint, 'trigger', v_trigger.tgname,
                                                             'enabled', v_trigger.tgenabled::text);
    END LOOP;
    FOR v_item IN SELECT x FROM pg_catalog.jsonb_array_elements(v_saved) AS x LOOP
        -- (re-read: altering a partitioned table's trigger may have altered its partitions' clones)
        SELECT t.tgenabled INTO v_current FROM pg_catalog.pg_trigger AS t
        WHERE t.tgrelid = (v_item ->> 'relation')::oid AND t.tgname = (v_item ->> 'trigger');
        IF (v_item ->> 'trigger') LIKE 'chronicle\_capture\_%' OR (v_item ->> 'trigger') = ANY (keep) THEN
            CONTINUE WHEN v_current = 'A';
            EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', (v_item ->> 'relation')::oid::regclass, v_item ->> 'trigger');
        ELSE
            CONTINUE WHEN v_current = 'D';
            EXECUTE pg_catalog.format('ALTER TABLE %s DISABLE TRIGGER %I', (v_item ->> 'relation')::oid::regclass, v_item ->> 'trigger');
        END IF;
    END LOOP;
    RETURN v_saved;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_set_triggers(regclass[], name[], jsonb) IS
    'Internal, for revert: sets the user triggers of the reverted tables for the revert (capture and kept triggers ALWAYS, others disabled), or restores them.';

-- After a revert (which runs without foreign-key triggers): raises foreign_key_violation if a
-- foreign key from or to one of the relations is not satisfied, one anti-join per constraint.
CREATE FUNCTION chronicle.revert_check_foreign_keys(relations regclass[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_constraint record;
    v_bad text;
BEGIN
    FOR v_constraint IN
        SELECT c.conname, c.conrelid::regclass AS child, c.confrelid::regclass AS parent,
               pg_catalog.string_agg(pg_catalog.format('c.%I IS NOT NULL', ca.attname), ' AND ' ORDER BY k.ord) AS not_null,
               pg_catalog.string_agg(pg_catalog.format('p.%I OPERATOR(%I.%s) c.%I', pa.attname, n.nspname, o.oprname, ca.attname),
                                     ' AND ' ORDER BY k.ord) AS matches,
               pg_catalog.string_agg(pg_catalog.format('c.%I::text', ca.attname), ' || '', '' || ' ORDER BY k.ord) AS shown
        FROM pg_catalog.pg_constraint AS c
        CROSS JOIN LATERAL ROWS FROM (pg_catalog.unnest(c.conkey), pg_catalog.unnest(c.confkey), pg_catalog.unnest(c.conpfeqop))
                           WITH ORDINALITY AS k(child_col, parent_col, op, ord)
        JOIN pg_catalog.pg_attribute AS ca ON ca.attrelid = c.conrelid AND ca.attnum = k.child_col
        JOIN pg_catalog.pg_attribute AS pa ON pa.attrelid = c.confrelid AND pa.attnum = k.parent_col
        JOIN pg_catalog.pg_operator AS o ON o.oid = k.op
        JOIN pg_catalog.pg_namespace AS n ON n.oid = o.oprnamespace
        WHERE c.contype = 'f' AND c.conparentid = 0
          AND (c.conrelid = ANY (relations::oid[]) OR c.confrelid = ANY (relations::oid[]))
        GROUP BY c.oid, c.conname, c.conrelid, c.confrelid
        ORDER BY c.conname
    LOOP
        EXECUTE pg_catalog.format(
            'SELECT %s FROM %s AS c WHERE %s AND NOT EXISTS (SELECT FROM %s AS p WHERE %s) LIMIT 1',
            v_constraint.shown, v_constraint.child, v_constraint.not_null, v_constraint.parent, v_constraint.matches)
        INTO v_bad;
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION 'revert would violate foreign key % of %: a row references (%) in %, which would not exist',
                    v_constraint.conname, v_constraint.child, v_bad, v_constraint.parent
                USING ERRCODE = 'foreign_key_violation',
                      HINT = 'A change to a table that is not audited (or not reverted) depends on the reverted rows: revert it by hand first, or include the transactions that made it (include_later => true). Nothing was changed.';
        END IF;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_check_foreign_keys(regclass[]) IS
    'Internal, for revert: raises foreign_key_violation if a foreign key from or to the relations is not satisfied.';

-- The revert writes each table as the table's owner, as PostgreSQL's own maintenance commands
-- run index expressions as the owner: the table's code (check constraints, defaults, generated
-- columns, kept triggers, functions these call) then runs with its owner's rights, whoever asks
-- for the revert. The revert itself runs as chronicle's owner (a superuser: it sets
-- session_replication_role), and a SECURITY DEFINER function cannot SET ROLE; but it can call a
-- SECURITY DEFINER function owned by another role, which runs as that role. So the revert creates,
-- in the session's temporary schema, one such function per owner (pg_temp.chronicle_revert_as_<oid>,
-- executable by nobody else), runs each write through it, and drops it at the end.
--
-- The owner may not read the log: the writes read the entries through a temporary view
-- (pg_temp.chronicle_revert_entries, a security barrier) that shows only entries of the
-- transactions the current transaction is reverting, on tables whose owner the reader is a member
-- of. Made by revert_begin_writes, dropped by revert_end_writes.
CREATE FUNCTION chronicle.revert_begin_writes()
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    -- (whatever of these names the session holds already, it may have made itself: gone first)
    PERFORM chronicle.revert_end_writes();
    CREATE TEMPORARY VIEW chronicle_revert_entries WITH (security_barrier) AS
    SELECT r.event_id, r.row_key, r.old_data, r.new_data
    FROM chronicle.row_log AS r
    WHERE r.event_id IN (
        SELECT e.id
        FROM chronicle.transaction_log AS t
        JOIN chronicle.revert_log AS l ON l.revert_transaction_id = t.id
        JOIN chronicle.table_event_log AS e ON e.transaction_id = l.reverted_transaction_id
        JOIN chronicle.audit_table_log AS v ON v.table_id = e.table_id AND v.valid_until IS NULL
        JOIN pg_catalog.pg_class AS c ON c.oid = pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.schema_name, v.table_name))
        WHERE t.txid = pg_catalog.pg_current_xact_id() AND t.started_at = pg_catalog.transaction_timestamp()
          AND pg_catalog.pg_has_role(c.relowner, 'MEMBER'));
    REVOKE ALL ON pg_temp.chronicle_revert_entries FROM PUBLIC;
    GRANT SELECT ON pg_temp.chronicle_revert_entries TO PUBLIC;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_begin_writes() IS
    'Internal, for revert: creates the temporary view through which the writes, run as each table''s owner, read the entries being reverted.';

-- Runs one write of a revert as the owner of the relation: the statement reads the entries from
-- pg_temp.chronicle_revert_entries, with $1 the event, $2 the key columns and $3 keys (jsonb[]);
-- with returns_keys it returns an array of keys (SELECT ... INTO), else it counts the rows written.
CREATE FUNCTION chronicle.revert_execute(relation regclass, statement text, event_id bigint, key_columns text[] DEFAULT NULL,
                                                   keys jsonb[] DEFAULT NULL, returns_keys boolean DEFAULT false,
                                                   OUT row_count bigint, OUT returned jsonb[])
RETURNS record
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_owner oid := (SELECT c.relowner FROM pg_catalog.pg_class AS c WHERE c.oid = relation);
    v_runner text := 'chronicle_revert_as_' || v_owner;
    v_other text;
BEGIN
    -- The owner's code that the last write ran may have replaced the function, which the owner
    -- owns, or created one of that name: whatever is called here must be a SECURITY DEFINER
    -- function of the owner (then it runs as the owner, whatever it does), else it would run as
    -- the revert, a superuser. Anything else of that name is dropped, and the function made again.
    FOR v_other IN
        SELECT pg_catalog.pg_get_function_identity_arguments(p.oid) FROM pg_catalog.pg_proc AS p
        WHERE p.pronamespace = pg_catalog.pg_my_temp_schema() AND p.proname = v_runner
          AND NOT (p.prosecdef AND p.proowner = v_owner AND pg_catalog.oidvectortypes(p.proargtypes) = 'text, bigint, text[], jsonb[], boolean')
    LOOP
        EXECUTE pg_catalog.format('DROP FUNCTION pg_temp.%I(%s)', v_runner, v_other);
    END LOOP;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_proc AS p
                   WHERE p.pronamespace = pg_catalog.pg_my_temp_schema() AND p.proname = v_runner) THEN
        EXECUTE pg_catalog.format($create$
            CREATE FUNCTION pg_temp.%1$I(statement text, event_id bigint, key_columns text[], keys jsonb[], returns_keys boolean,
                                         OUT row_count bigint, OUT returned jsonb[])
            RETURNS record
            LANGUAGE plpgsql
            VOLATILE
            SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            AS $body$
            BEGIN
                IF returns_keys THEN
                    EXECUTE statement INTO returned USING event_id, key_columns, keys;
                ELSE
                    EXECUTE statement USING event_id, key_columns, keys;
                    GET DIAGNOSTICS row_count = ROW_COUNT;
                END IF;
            END
            $body$$create$, v_runner);
        EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION pg_temp.%I(text, bigint, text[], jsonb[], boolean) FROM PUBLIC', v_runner);
        EXECUTE pg_catalog.format('ALTER FUNCTION pg_temp.%I(text, bigint, text[], jsonb[], boolean) OWNER TO %I',
                                  v_runner, pg_catalog.pg_get_userbyid(v_owner));
    END IF;
    EXECUTE pg_catalog.format('SELECT r.row_count, r.returned FROM pg_temp.%I($1, $2, $3, $4, $5) AS r', v_runner)
    INTO row_count, returned
    USING statement, event_id, key_columns, keys, returns_keys;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_execute(regclass, text, bigint, text[], jsonb[], boolean) IS
    'Internal, for revert: runs one write of a revert as the owner of the relation (through a temporary SECURITY DEFINER function owned by it).';

-- Drops what revert_begin_writes and revert_execute created.
CREATE FUNCTION chronicle.revert_end_writes()
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_runner text;
BEGIN
    FOR v_runner IN
        SELECT pg_catalog.format('pg_temp.%I(%s)', p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
        FROM pg_catalog.pg_proc AS p
        WHERE p.pronamespace = pg_catalog.pg_my_temp_schema() AND p.proname LIKE 'chronicle\_revert\_as\_%'
    LOOP
        EXECUTE 'DROP FUNCTION ' || v_runner;
    END LOOP;
    -- (not DROP ... IF EXISTS: that tells the client when there is nothing to drop)
    IF EXISTS (SELECT FROM pg_catalog.pg_class AS c
               WHERE c.relnamespace = pg_catalog.pg_my_temp_schema() AND c.relname = 'chronicle_revert_entries') THEN
        DROP VIEW pg_temp.chronicle_revert_entries;
    END IF;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_end_writes() IS
    'Internal, for revert: drops the temporary view and functions through which the revert wrote as each table''s owner.';

-- ==== functions (src/sql/functions/revert/revert_transactions.sql)
-- Undo of whole transactions (docs/revert.md): every data change of the given transactions on
-- every audited table, undone newest first, in the caller's transaction, and logged by the
-- tables' capture triggers like any other change, so that a revert can itself be reverted.
--
-- Per event, a handful of set-based statements read its row_log entries back exactly as the
-- capture wrote them: whole rows with jsonb_populate_record, keys and single columns as time
-- travel reads them (chronicle.state_json_value), which builds no record per entry:
--   INSERT            DELETE the rows by key (and check that each was there)
--   UPDATE            UPDATE the rows by key, setting the columns of each entry's old_data (only
--                     those); entries that moved a row to another key go back in waves, each one
--                     statement moving every row whose old key is free (one wave unless the
--                     statement shifted keys along a chain, e.g. id = id + 1)
--   DELETE, TRUNCATE  INSERT old_data (excluded columns take their default)
-- The revert runs with session_replication_role = replica (set for its time only): foreign-key checks and actions do not
-- fire, since every logged change, cascaded ones too, is undone exactly; chronicle's capture
-- triggers, and the application triggers named in keep_triggers, are set to fire ALWAYS for the
-- time of the revert, every other user trigger of the reverted tables is disabled. Foreign keys
-- from and to the reverted tables are checked once at the end. Rows are written as each table's
-- owner (revert_execute), so the tables' own code never runs with this function's rights.
CREATE FUNCTION chronicle.revert_transactions(
    transaction_ids bigint[],
    include_later boolean DEFAULT false,
    force boolean DEFAULT false,
    dry_run boolean DEFAULT false,
    keep_triggers name[] DEFAULT '{}')
RETURNS TABLE (reverted_transaction_id bigint, event_id bigint, table_name regclass, action text, row_count bigint)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
#variable_conflict use_column
DECLARE
    v_set bigint[];
    v_bad text;
    v_count bigint;
    v_tables integer[];
    v_relations regclass[];
    v_min_event bigint;
    v_later bigint[];
    v_current bigint;
    v_event record;
    v_sql text;
    v_key_condition text;
    v_changed name[];
    v_columns name[];
    v_expected bigint;
    v_done bigint;
    v_moving bigint;
    v_uniform boolean;
    v_pending jsonb[];
    v_moved jsonb[];
    v_triggers jsonb;
    v_revert_id bigint;
    v_state text;
    v_message text;
    v_detail text;
    v_hint text;
    v_replication_role text;
    v_relation regclass;
    v_key_columns name[];
    v_excluded name[];
    v_is_new boolean;
    v_created regclass[] := '{}';
    v_settings text[];
BEGIN
    IF transaction_ids IS NULL OR pg_catalog.cardinality(transaction_ids) = 0
       OR pg_catalog.array_position(transaction_ids, NULL) IS NOT NULL THEN
        RAISE EXCEPTION 'no transaction to revert: transaction_ids is NULL, empty or holds NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Pass ids of chronicle.transaction_log rows.';
    END IF;
    IF include_later IS NULL OR force IS NULL OR dry_run IS NULL OR keep_triggers IS NULL THEN
        RAISE EXCEPTION 'the options of revert_transactions must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Leave an option out to take its default.';
    END IF;
    SELECT pg_catalog.array_agg(DISTINCT x ORDER BY x) INTO v_set FROM pg_catalog.unnest(transaction_ids) AS x;

    SELECT pg_catalog.string_agg(x::text, ', ' ORDER BY x) INTO v_bad
    FROM pg_catalog.unnest(v_set) AS x
    WHERE NOT EXISTS (SELECT FROM chronicle.transaction_log AS t WHERE t.id = x);
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'unknown transaction: % (no such chronicle.transaction_log id)', v_bad
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Find the transaction in chronicle.transaction_log (or with chronicle.table_event_log) and pass its id.';
    END IF;

    SELECT t.id INTO v_current FROM chronicle.transaction_log AS t
    WHERE t.txid = pg_catalog.pg_current_xact_id() AND t.started_at = pg_catalog.transaction_timestamp();
    IF v_current = ANY (v_set) THEN
        RAISE EXCEPTION 'cannot revert transaction %: it is the current transaction', v_current
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Roll back to a savepoint instead, or revert it after it committed.';
    END IF;

    SELECT pg_catalog.string_agg(pg_catalog.format('%s (reverted by transaction %s)', q.x, q.r), ', ' ORDER BY q.x) INTO v_bad
    FROM (SELECT x, chronicle.revert_active_revert(x) AS r FROM pg_catalog.unnest(v_set) AS x) AS q
    WHERE q.r IS NOT NULL AND q.r <> ALL (v_set);
    IF v_bad IS NOT NULL THEN
        RAISE EXCEPTION 'already reverted: transaction %', v_bad
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Its changes are undone already. To bring them back, revert the revert (chronicle.revert_transaction(<its id>)).';
    END IF;

    -- The set to revert, with the later transactions it conflicts with when include_later.
    LOOP
        -- DDL: undone by the inverse DDL where the log holds what it needs (chronicle.revert_ddl);
        -- any other is refused before anything is changed.
        SELECT pg_catalog.string_agg(DISTINCT pg_catalog.format('event %s of transaction %s: %s', e.id, e.transaction_id,
                                                                chronicle.revert_ddl_refusal(e.operation::text, e.ddl)), '; ') INTO v_bad
        FROM chronicle.table_event_log AS e
        WHERE e.transaction_id = ANY (v_set) AND chronicle.revert_ddl_refusal(e.operation::text, e.ddl) IS NOT NULL;
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION 'cannot revert: the transactions hold DDL that cannot be undone: %', v_bad
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'ADD/DROP/RENAME COLUMN, ALTER COLUMN TYPE/DEFAULT/NOT NULL/IDENTITY, RENAME TABLE, SET SCHEMA and DROP TABLE (of a table that is not partitioned) can be reverted; revert the transactions before or after the others, or undo them by hand. Nothing was changed.';
        END IF;

        IF EXISTS (SELECT FROM chronicle.table_event_log AS e
                   WHERE e.transaction_id = ANY (v_set) AND e.operation::text NOT IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'BASELINE'))
           AND NOT (SELECT s.ddl_capture_enabled FROM chronicle.ddl_capture_status AS s) THEN
            RAISE EXCEPTION 'cannot revert: the transactions changed table structures, and DDL capture is off'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'The revert of DDL is itself DDL, which must be logged: enable chronicle''s event triggers (see chronicle.ddl_capture_status), or update the extension as a superuser. Nothing was changed.';
        END IF;

        SELECT pg_catalog.array_agg(DISTINCT e.table_id ORDER BY e.table_id), pg_catalog.min(e.id) INTO v_tables, v_min_event
        FROM chronicle.table_event_log AS e
        WHERE e.transaction_id = ANY (v_set) AND e.operation::text <> 'BASELINE';
        v_tables := coalesce(v_tables, '{}');

        -- (a table dropped by a logged DROP TABLE is created again by the revert of the drop, which
        -- is in the set or a conflicting later transaction)
        SELECT pg_catalog.string_agg(pg_catalog.format('%I.%I (table id %s)', v.schema_name, v.table_name, v.table_id), ', ' ORDER BY v.table_id) INTO v_bad
        FROM (SELECT DISTINCT ON (a.table_id) a.* FROM chronicle.audit_table_log AS a
              WHERE a.table_id = ANY (v_tables) ORDER BY a.table_id, a.id DESC) AS v
        WHERE (v.valid_until IS NOT NULL
               AND NOT EXISTS (SELECT FROM chronicle.table_event_log AS d WHERE d.id = v.valid_until_event AND d.operation = 'DROP TABLE'))
           OR (v.valid_until IS NULL AND pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.schema_name, v.table_name)) IS NULL);
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION 'cannot revert: the transactions changed tables that are no longer audited: %', v_bad
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'A revert writes only audited tables, so that it is logged itself: audit the table again with chronicle.create_table_audit, then revert. Nothing was changed.';
        END IF;

        SELECT pg_catalog.string_agg(DISTINCT pg_catalog.format('%I.%I', v.schema_name, v.table_name), ', ') INTO v_bad
        FROM chronicle.table_event_log AS e
        JOIN chronicle.audit_table_log AS v
          ON v.table_id = e.table_id AND NOT v.log_old_data
         AND v.valid_from <= e.transaction_id AND (v.valid_until IS NULL OR v.valid_until >= e.transaction_id)
        WHERE e.transaction_id = ANY (v_set)
          AND e.operation::text IN ('UPDATE', 'DELETE', 'TRUNCATE', 'DROP COLUMN', 'ALTER COLUMN TYPE', 'DROP TABLE');
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION 'cannot revert: the transactions updated, deleted or dropped data of % while it was audited with log_old_data => false', v_bad
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Without old data the log cannot tell what the rows were. Audit with log_old_data => true to make later changes revertable. Nothing was changed.';
        END IF;

        SELECT pg_catalog.array_agg(r.relation ORDER BY v.table_id) FILTER (WHERE r.relation IS NOT NULL)
        INTO v_relations
        FROM chronicle.audit_table_log AS v
        CROSS JOIN LATERAL pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.schema_name, v.table_name)) AS r(relation)
        WHERE v.table_id = ANY (v_tables) AND v.valid_until IS NULL;
        v_relations := coalesce(v_relations, '{}');

        -- The revert writes each table as its owner (revert_execute), so the table's own code
        -- runs with the owner's rights, whoever asks. DDL is undone as chronicle's owner, a
        -- superuser: an ADD COLUMN evaluates the logged default, an ALTER COLUMN TYPE casts; and a
        -- dropped table is created again from definitions in the log, whose owner the log does
        -- not keep. So a revert holding DDL is for superusers only. (As in DDL capture,
        -- session_user is who asks: a SECURITY DEFINER function sees no other.) A dry run writes
        -- nothing, and is not refused.
        IF NOT dry_run AND NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = session_user)
           AND EXISTS (SELECT FROM chronicle.table_event_log AS e
                       WHERE e.transaction_id = ANY (v_set) AND e.operation::text NOT IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'BASELINE')) THEN
            RAISE EXCEPTION 'cannot revert: the transactions changed table structures, and only a superuser may undo that'
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'Undoing DDL runs the logged definitions (defaults, casts, whole tables) with a superuser''s rights. Have a superuser revert. Nothing was changed.';
        END IF;

        -- The rows are written as each table's owner (revert_execute), who must be able to name
        -- the table (USAGE on its schema); and a table that forces row-level security on its owner
        -- would have the owner's policies hide rows from the revert or refuse the rows it writes back.
        SELECT pg_catalog.string_agg(pg_catalog.format('%I may not use schema %I of %s', o.rolname, n.nspname, c.oid::regclass), ', ' ORDER BY c.oid)
        INTO v_bad
        FROM pg_catalog.unnest(v_relations) AS w(relation)
        JOIN pg_catalog.pg_class AS c ON c.oid = w.relation
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        JOIN pg_catalog.pg_roles AS o ON o.oid = c.relowner
        WHERE NOT dry_run AND NOT pg_catalog.has_schema_privilege(c.relowner, n.oid, 'USAGE');
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION 'cannot revert: the revert writes each table as its owner, and %', v_bad
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'GRANT USAGE ON SCHEMA to the table''s owner. Nothing was changed.';
        END IF;
        SELECT pg_catalog.string_agg(pg_catalog.format('%s (owned by %I)', c.oid::regclass, o.rolname), ', ' ORDER BY c.oid) INTO v_bad
        FROM pg_catalog.unnest(v_relations) AS w(relation)
        JOIN pg_catalog.pg_class AS c ON c.oid = w.relation
        JOIN pg_catalog.pg_roles AS o ON o.oid = c.relowner
        WHERE NOT dry_run AND c.relrowsecurity AND c.relforcerowsecurity AND NOT o.rolsuper AND NOT o.rolbypassrls;
        IF v_bad IS NOT NULL THEN
            RAISE EXCEPTION 'cannot revert: row-level security is forced on the owner of %, as whom the revert writes', v_bad
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Its policies would hide rows from the revert, or refuse the rows it writes back. Revert in a transaction that runs ALTER TABLE ... NO FORCE ROW LEVEL SECURITY first (and FORCE again after), or let the owner bypass it (ALTER ROLE ... BYPASSRLS). Nothing was changed.';
        END IF;

        IF pg_catalog.cardinality(v_relations) > 0 THEN
            -- No other writer between the conflict check and the end of the revert.
            EXECUTE pg_catalog.format('LOCK TABLE %s IN EXCLUSIVE MODE',
                                      (SELECT pg_catalog.string_agg(r::text, ', ') FROM pg_catalog.unnest(v_relations) AS r));
        END IF;

        -- Conflicts: a later transaction (not reverted with these) changed a row these changed,
        -- found by the keys of the rows before and after each change. An UPDATE of other columns
        -- of the row, neither moving it to another key, is no conflict: the revert sets back only
        -- its own columns; with force, neither is an UPDATE of the same columns.
        EXIT WHEN v_min_event IS NULL OR NOT EXISTS (
            SELECT FROM chronicle.table_event_log AS e
            WHERE e.id > v_min_event AND e.table_id = ANY (v_tables) AND e.transaction_id <> ALL (v_set)
              AND e.operation::text <> 'BASELINE');

        DROP TABLE IF EXISTS pg_temp.chronicle_revert_conflicts;
        CREATE TEMPORARY TABLE chronicle_revert_conflicts ON COMMIT DROP AS
        WITH keys AS (
            SELECT v.table_id, v.key_columns::text[] AS key_columns, pg_catalog.format('%I.%I', v.schema_name, v.table_name) AS name
            FROM chronicle.audit_table_log AS v WHERE v.table_id = ANY (v_tables) AND v.valid_until IS NULL
        ), entries AS (
            -- the reverted transactions' entries, and later transactions' entries on their tables;
            -- old_key: the row's key before the change
            SELECT e.transaction_id = ANY (v_set) AS mine, e.transaction_id AS tx, e.table_id, r.event_id,
                   e.operation::text AS op, r.row_key, r.old_data,
                   CASE WHEN e.operation::text = 'UPDATE' AND r.old_data ?| k.key_columns
                        THEN (SELECT pg_catalog.jsonb_object_agg(c, coalesce(r.old_data -> c, r.row_key -> c))
                              FROM pg_catalog.jsonb_object_keys(r.row_key) AS c)
                        ELSE r.row_key END AS old_key
            FROM chronicle.table_event_log AS e
            JOIN chronicle.row_log AS r ON r.event_id = e.id
            JOIN keys AS k ON k.table_id = e.table_id
            WHERE (e.transaction_id = ANY (v_set) OR e.id > v_min_event)
              AND e.operation::text IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE')
        ), mine AS (
            SELECT * FROM entries WHERE mine
        ), later AS (
            SELECT * FROM entries WHERE NOT mine
        ), mine_keys AS (
            SELECT DISTINCT m.*, x.k FROM mine AS m CROSS JOIN LATERAL (VALUES (m.row_key), (m.old_key)) AS x(k)
        ), later_keys AS (
            SELECT DISTINCT l.*, x.k FROM later AS l CROSS JOIN LATERAL (VALUES (l.row_key), (l.old_key)) AS x(k)
        )
        SELECT DISTINCT k.name, m.k AS row_key, m.tx AS reverted, m.op AS reverted_operation, l.tx AS later, l.op AS later_operation
        FROM mine_keys AS m
        JOIN later_keys AS l ON l.table_id = m.table_id AND l.k = m.k AND l.event_id > m.event_id
        JOIN keys AS k ON k.table_id = m.table_id
        WHERE NOT (m.op = 'UPDATE' AND l.op = 'UPDATE' AND m.row_key = m.old_key AND l.row_key = l.old_key
                   AND l.old_data IS NOT NULL  -- (without old data, the later UPDATE's columns are unknown)
                   AND (force OR NOT m.old_data ?| ARRAY(SELECT pg_catalog.jsonb_object_keys(l.old_data))));
        -- Structure: a later transaction that changed a table after the reverted ones changed its
        -- structure, or that changed the structure of a table the reverted ones changed, conflicts
        -- (its changes were made to, or made, another shape of the table).
        INSERT INTO pg_temp.chronicle_revert_conflicts (name, row_key, reverted, reverted_operation, later, later_operation)
        WITH mine AS (
            SELECT e.id, e.table_id, e.transaction_id, e.operation::text AS op,
                   e.operation::text NOT IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') AS ddl
            FROM chronicle.table_event_log AS e
            WHERE e.transaction_id = ANY (v_set) AND e.operation::text <> 'BASELINE'
        ), later AS (
            SELECT e.id, e.table_id, e.transaction_id, e.operation::text AS op,
                   e.operation::text NOT IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') AS ddl
            FROM chronicle.table_event_log AS e
            WHERE e.id > v_min_event AND e.table_id = ANY (v_tables) AND e.transaction_id <> ALL (v_set)
              AND e.operation::text NOT IN ('BASELINE', 'DDL PRE-IMAGE')
        ), pairs AS (
            -- (each side filtered to DDL first, so that the pairs stay few however many rows changed)
            SELECT m.id AS m_id, m.transaction_id AS m_tx, m.op AS m_op, l.table_id, l.transaction_id AS l_tx, l.op AS l_op
            FROM (SELECT * FROM mine WHERE ddl) AS m JOIN later AS l ON l.table_id = m.table_id AND l.id > m.id
            UNION ALL
            SELECT m.id, m.transaction_id, m.op, l.table_id, l.transaction_id, l.op
            FROM (SELECT * FROM later WHERE ddl) AS l JOIN mine AS m ON m.table_id = l.table_id AND m.id < l.id
        )
        SELECT DISTINCT ON (p.table_id, p.l_tx)
               (SELECT pg_catalog.format('%I.%I', a.schema_name, a.table_name) FROM chronicle.audit_table_log AS a
                WHERE a.table_id = p.table_id ORDER BY a.id DESC LIMIT 1),
               NULL::jsonb, p.m_tx, p.m_op, p.l_tx, p.l_op
        FROM pairs AS p
        ORDER BY p.table_id, p.l_tx, p.m_id;

        SELECT pg_catalog.count(*), pg_catalog.array_agg(DISTINCT c.later ORDER BY c.later) INTO v_count, v_later
        FROM pg_temp.chronicle_revert_conflicts AS c;
        EXIT WHEN v_count = 0;
        IF include_later THEN
            SELECT pg_catalog.array_agg(DISTINCT x ORDER BY x) INTO v_set FROM pg_catalog.unnest(v_set || v_later) AS x;
            IF v_current = ANY (v_set) THEN
                RAISE EXCEPTION 'cannot revert: the current transaction changed rows of the reverted transactions'
                    USING ERRCODE = 'invalid_parameter_value', HINT = 'Revert in a transaction of its own.';
            END IF;
            CONTINUE;
        END IF;
        SELECT pg_catalog.string_agg(pg_catalog.format('%s %s: reverted transaction %s (%s), later transaction %s (%s)',
                                                       c.name, coalesce('row ' || c.row_key::text, 'structure'), c.reverted,
                                                       c.reverted_operation, c.later, c.later_operation),
                                     E'\n' ORDER BY c.name, c.row_key::text NULLS FIRST, c.later)
        INTO v_bad
        FROM (SELECT * FROM pg_temp.chronicle_revert_conflicts ORDER BY name, row_key::text NULLS FIRST, later LIMIT 20) AS c;
        RAISE EXCEPTION 'cannot revert: later transactions % changed % rows (or table structures) changed by the reverted transactions', v_later, v_count
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = v_bad || CASE WHEN v_count > 20 THEN E'\n...' ELSE '' END,
                  HINT = 'Revert the later transactions too (include_later => true), or, where both are UPDATEs of the same row, set back only the reverted transactions'' columns (force => true). Nothing was changed.';
    END LOOP;

    IF NOT dry_run THEN
        -- Set here, not as a SET clause of the function: only a superuser may set it, and a SET
        -- clause would keep an extension installed without one from being created at all. Set
        -- back below; an error rolls it back with the rest.
        v_replication_role := pg_catalog.current_setting('session_replication_role');
        -- Bulk events: a hash join of the logged rows with the table (the planner, knowing nothing
        -- of how many entries an event has, would look each row up by index), and room for it and
        -- for the capture's pairing of old and new rows in memory. Set back at the end.
        v_settings := ARRAY[pg_catalog.current_setting('enable_nestloop'), pg_catalog.current_setting('enable_memoize'),
                            pg_catalog.current_setting('work_mem')];
        IF pg_catalog.pg_size_bytes(v_settings[3]) < 64 * 1024 * 1024 THEN
            PERFORM pg_catalog.set_config('work_mem', '64MB', true);
        END IF;
        BEGIN
            PERFORM pg_catalog.set_config('session_replication_role', 'replica', true);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'cannot revert: chronicle was installed without a superuser'
                USING ERRCODE = '42501',
                      HINT = 'A revert turns off foreign-key triggers while it undoes logged changes, which needs chronicle to be installed (or updated) by a superuser. Nothing was changed.';
        END;
        -- (the revert's own ALTER TABLEs need no snapshot of chronicle's structure: ddl_command_start)
        PERFORM pg_catalog.set_config('chronicle.reverting', 'on', true);
        v_triggers := chronicle.revert_set_triggers(v_relations, keep_triggers, NULL);
        v_revert_id := chronicle.log_transaction();
        UPDATE chronicle.transaction_log AS t
        SET session_info = coalesce(t.session_info, '{}')
                           || pg_catalog.jsonb_build_object('chronicle_reverted',
                                  coalesce(t.session_info -> 'chronicle_reverted', '[]') || pg_catalog.to_jsonb(v_set))
        WHERE t.id = v_revert_id;
        INSERT INTO chronicle.revert_log AS l
        SELECT x, v_revert_id FROM pg_catalog.unnest(v_set) AS x
        ON CONFLICT DO NOTHING;
        PERFORM chronicle.revert_begin_writes();
    END IF;

    -- Newest first: transactions in the order of their last events, each one's events in the
    -- order its statements ran (docs/log-tables.md, "Order of changes"), all reversed.
    FOR v_event IN
        SELECT e.id, e.transaction_id, e.table_id, e.operation::text AS op
        FROM (SELECT e.*, pg_catalog.max(e.id) OVER (PARTITION BY e.transaction_id) AS last_event
              FROM chronicle.table_event_log AS e
              WHERE e.transaction_id = ANY (v_set) AND e.operation::text NOT IN ('BASELINE', 'DDL PRE-IMAGE')) AS e
        ORDER BY e.last_event DESC, e.statement_order DESC, e.nesting_depth DESC, e.id DESC
    LOOP
        -- the table as it is now (undoing DDL renames, moves, drops and creates it)
        v_relation := NULL;
        v_key_columns := NULL;
        v_excluded := NULL;
        SELECT pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.schema_name, v.table_name)), v.key_columns, v.excluded_columns
        INTO v_relation, v_key_columns, v_excluded
        FROM chronicle.audit_table_log AS v WHERE v.table_id = v_event.table_id AND v.valid_until IS NULL;
        reverted_transaction_id := v_event.transaction_id;
        event_id := v_event.id;
        table_name := v_relation;
        action := chronicle.revert_action(v_event.op);
        -- (the planner settings of the last bulk event, back as they were; v_settings is NULL in a dry run)
        IF v_settings[1] <> pg_catalog.current_setting('enable_nestloop') OR v_settings[2] <> pg_catalog.current_setting('enable_memoize') THEN
            PERFORM pg_catalog.set_config('enable_nestloop', v_settings[1], true), pg_catalog.set_config('enable_memoize', v_settings[2], true);
        END IF;
        IF v_event.op NOT IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE') THEN
            IF dry_run THEN
                row_count := 0;
                IF v_event.op IN ('DROP COLUMN', 'ALTER COLUMN TYPE', 'DROP TABLE') THEN
                    SELECT pg_catalog.count(*) INTO row_count FROM chronicle.row_log AS r WHERE r.event_id = v_event.id;
                END IF;
            ELSE
                SELECT d.relation, d.row_count, d.created INTO v_relation, row_count, v_is_new FROM chronicle.revert_ddl(v_event.id) AS d;
                IF v_is_new THEN
                    v_created := v_created || v_relation;
                END IF;
                table_name := CASE WHEN v_event.op = 'CREATE TABLE' THEN NULL ELSE v_relation END;
            END IF;
            RETURN NEXT;
            CONTINUE;
        END IF;
        IF dry_run THEN
            SELECT pg_catalog.count(*) INTO row_count FROM chronicle.row_log AS r WHERE r.event_id = v_event.id;
            RETURN NEXT;
            CONTINUE;
        END IF;
        IF v_relation IS NULL THEN
            RAISE EXCEPTION 'cannot revert event % (%) of transaction %: the table (table id %) does not exist', v_event.id, v_event.op, v_event.transaction_id, v_event.table_id
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'The table was dropped or renamed without being logged. Nothing was changed.';
        END IF;
        v_key_condition := chronicle.revert_key_condition(v_relation, v_key_columns, 't', '(s.k)');

        IF v_event.op = 'INSERT' THEN
            SELECT pg_catalog.count(*) INTO v_expected FROM chronicle.row_log AS r WHERE r.event_id = v_event.id;
            IF v_expected > 1000 THEN
                PERFORM pg_catalog.set_config('enable_nestloop', 'off', true), pg_catalog.set_config('enable_memoize', 'off', true);
            END IF;
            v_done := (chronicle.revert_execute(v_relation, pg_catalog.format($sql$
                DELETE FROM %1$s AS t
                USING pg_temp.chronicle_revert_entries AS r
                WHERE r.event_id = $1 AND %2$s$sql$,
                v_relation, chronicle.revert_key_condition(v_relation, v_key_columns, 't', 'r.row_key', true)), v_event.id)).row_count;

        ELSIF v_event.op = 'UPDATE' THEN
            -- The changed columns: usually every entry of a statement names the same ones, checked
            -- in the same scan that counts the entries (and those that moved a row to another key).
            SELECT pg_catalog.array_agg(c::name ORDER BY c) INTO v_changed
            FROM (SELECT r.old_data FROM chronicle.row_log AS r WHERE r.event_id = v_event.id LIMIT 1) AS one,
                 LATERAL pg_catalog.jsonb_object_keys(one.old_data) AS c;
            SELECT pg_catalog.count(*), pg_catalog.count(*) FILTER (WHERE r.old_data ?| v_key_columns::text[]),
                   pg_catalog.bool_and(r.old_data ?& v_changed::text[] AND r.old_data - v_changed::text[] = '{}'::jsonb)
            INTO v_expected, v_moving, v_uniform
            FROM chronicle.row_log AS r WHERE r.event_id = v_event.id;
            IF v_expected > 1000 THEN
                PERFORM pg_catalog.set_config('enable_nestloop', 'off', true), pg_catalog.set_config('enable_memoize', 'off', true);
            END IF;
            IF NOT v_uniform THEN
                SELECT pg_catalog.array_agg(DISTINCT c::name) INTO v_changed
                FROM chronicle.row_log AS r CROSS JOIN LATERAL pg_catalog.jsonb_object_keys(r.old_data) AS c
                WHERE r.event_id = v_event.id;
            END IF;
            SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ') INTO v_bad
            FROM pg_catalog.unnest(v_changed) AS c
            WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
                              WHERE a.attrelid = v_relation AND a.attname = c AND a.attnum > 0 AND NOT a.attisdropped);
            IF v_bad IS NOT NULL THEN
                RAISE EXCEPTION 'cannot revert event % of transaction %: % has no column % any more', v_event.id, v_event.transaction_id, v_relation, v_bad
                    USING ERRCODE = 'object_not_in_prerequisite_state',
                          HINT = 'The table''s structure changed since; reverting across DDL is not supported yet. Nothing was changed.';
            END IF;
            SELECT pg_catalog.array_agg(c ORDER BY c) INTO v_columns
            FROM pg_catalog.unnest(chronicle.revert_columns(v_relation, '{}', false)) AS c WHERE c = ANY (v_changed);
            -- Each entry sets back the columns of its old_data: all of v_columns when every entry
            -- names the same ones, else each column only where the entry names it.
            -- (each old value read from old_data as its type, as time travel reads it)
            v_sql := (SELECT pg_catalog.format('(%s) = ROW(%s)',
                                               pg_catalog.string_agg(pg_catalog.quote_ident(x.c), ', ' ORDER BY x.o),
                                               pg_catalog.string_agg(pg_catalog.format(CASE WHEN v_uniform AND v_moving = 0 THEN '%2$s'
                                                                                            ELSE 'CASE WHEN r.old_data ? %1$L THEN %2$s ELSE t.%1$I END' END,
                                                                                       x.c, chronicle.state_json_value(v_relation, x.c, a.atttypid, a.atttypmod, 'r.old_data')),
                                                                     ', ' ORDER BY x.o))
                      FROM pg_catalog.unnest(v_columns) WITH ORDINALITY AS x(c, o)
                      JOIN pg_catalog.pg_attribute AS a ON a.attrelid = v_relation AND a.attname = x.c AND NOT a.attisdropped);
            IF v_sql IS NULL THEN
                -- only columns that cannot be set (generated ones, computed again by the server)
                v_done := v_expected;
                v_moving := 0;
            ELSE
                -- Rows that keep their key: one statement. (row_key || old_data: the key and the old values.)
                v_done := (chronicle.revert_execute(v_relation, pg_catalog.format($sql$
                    UPDATE %1$s AS t SET %2$s
                    FROM %3$s
                    WHERE %5$s %4$s$sql$,
                    v_relation, v_sql,
                    chronicle.revert_entries(pg_catalog.cardinality(v_columns) > 1 OR NOT v_uniform, 'r.row_key, '),
                    CASE WHEN v_moving > 0 THEN 'AND NOT r.old_data ?| $2' ELSE '' END,
                    chronicle.revert_key_condition(v_relation, v_key_columns, 't', 'r.row_key', true)),
                    v_event.id, v_key_columns::text[])).row_count;
            END IF;
            IF v_moving > 0 THEN
                -- Rows moved to another key: back in waves, each moving the rows whose old key is free.
                v_sql := (SELECT pg_catalog.format('(%s) = ROW(%s)',
                                                   pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ' ORDER BY o),
                                                   pg_catalog.string_agg(pg_catalog.format('CASE WHEN s.o ? %L THEN (s.p).%I ELSE t.%I END', c, c, c), ', ' ORDER BY o))
                          FROM pg_catalog.unnest(v_columns) WITH ORDINALITY AS x(c, o));
                SELECT pg_catalog.array_agg(r.row_key) INTO v_pending
                FROM chronicle.row_log AS r WHERE r.event_id = v_event.id AND r.old_data ?| v_key_columns::text[];
                LOOP
                    v_moved := (chronicle.revert_execute(v_relation, pg_catalog.format($sql$
                        WITH s AS MATERIALIZED (
                            SELECT r.row_key AS rk, r.old_data AS o,
                                   pg_catalog.jsonb_populate_record(NULL::%1$s, r.row_key) AS k,
                                   pg_catalog.jsonb_populate_record(NULL::%1$s, r.row_key || r.old_data) AS p
                            FROM pg_temp.chronicle_revert_entries AS r
                            WHERE r.event_id = $1 AND r.row_key IN (SELECT pg_catalog.unnest($3))
                        ), u AS (
                            UPDATE %1$s AS t SET %2$s FROM s
                            WHERE %3$s AND NOT EXISTS (SELECT FROM %1$s AS x WHERE %4$s)
                            RETURNING s.rk
                        )
                        SELECT pg_catalog.array_agg(u.rk) FROM u$sql$,
                        v_relation, v_sql, v_key_condition,
                        chronicle.revert_key_condition(v_relation, v_key_columns, 'x', '(s.p)')),
                        v_event.id, keys => v_pending, returns_keys => true)).returned;
                    EXIT WHEN v_moved IS NULL;
                    v_done := v_done + pg_catalog.cardinality(v_moved);
                    v_pending := ARRAY(SELECT x FROM pg_catalog.unnest(v_pending) AS x EXCEPT SELECT pg_catalog.unnest(v_moved));
                    EXIT WHEN pg_catalog.cardinality(v_pending) = 0;
                END LOOP;
            END IF;

        ELSE -- DELETE, TRUNCATE
            v_columns := chronicle.revert_columns(v_relation, v_excluded, true);
            -- each column read from old_data as its type, as time travel reads it: a fifth cheaper
            -- than building the row with jsonb_populate_record
            v_done := (chronicle.revert_execute(v_relation, pg_catalog.format($sql$
                INSERT INTO %1$s AS t (%2$s) OVERRIDING SYSTEM VALUE
                SELECT %3$s FROM %4$s$sql$,
                v_relation,
                (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ' ORDER BY o) FROM pg_catalog.unnest(v_columns) WITH ORDINALITY AS x(c, o)),
                (SELECT pg_catalog.string_agg(chronicle.state_json_value(v_relation, x.c, a.atttypid, a.atttypmod, 'r.old_data'), ', ' ORDER BY x.o)
                 FROM pg_catalog.unnest(v_columns) WITH ORDINALITY AS x(c, o)
                 JOIN pg_catalog.pg_attribute AS a ON a.attrelid = v_relation AND a.attname = x.c AND NOT a.attisdropped),
                chronicle.revert_entries(pg_catalog.cardinality(v_columns) > 1, '')), v_event.id)).row_count;
            v_expected := v_done;
        END IF;

        IF v_done <> v_expected THEN
            RAISE EXCEPTION 'cannot revert event % (%) of transaction % on %: % of its % rows are not as it left them',
                    v_event.id, v_event.op, v_event.transaction_id, v_relation, v_expected - v_done, v_expected
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'The table was changed without being logged (while not audited, or with its capture triggers disabled), so the log no longer describes its rows. Nothing was changed.';
        END IF;
        row_count := v_done;
        RETURN NEXT;
    END LOOP;

    IF NOT dry_run THEN
        PERFORM chronicle.revert_set_triggers(v_relations, keep_triggers, v_triggers);
        -- tables the revert created again: their capture triggers fire as usual (ENABLE)
        FOR v_event IN
            SELECT t.tgrelid::regclass AS relation, t.tgname
            FROM pg_catalog.pg_trigger AS t
            WHERE t.tgrelid = ANY (v_created::oid[]) AND t.tgname LIKE 'chronicle\_capture\_%' AND NOT t.tgisinternal AND t.tgenabled <> 'O'
            ORDER BY t.tgrelid, t.tgname
        LOOP
            EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE TRIGGER %I', v_event.relation, v_event.tgname);
        END LOOP;
        PERFORM chronicle.revert_check_foreign_keys(v_relations || v_created);
        PERFORM chronicle.revert_end_writes();
        PERFORM pg_catalog.set_config('session_replication_role', v_replication_role, true);
        PERFORM pg_catalog.set_config('chronicle.reverting', '', true);
        PERFORM pg_catalog.set_config('enable_nestloop', v_settings[1], true), pg_catalog.set_config('enable_memoize', v_settings[2], true),
                pg_catalog.set_config('work_mem', v_settings[3], true);
    END IF;
    RETURN;
EXCEPTION WHEN OTHERS THEN
    -- Every failure leaves the data unchanged (this block's changes are rolled back); errors
    -- raised by the statements themselves (a unique key taken, a NOT NULL column excluded from
    -- the log) get a HINT.
    GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT, v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
    IF coalesce(v_hint, '') = '' AND v_state = '42501' THEN
        v_message := 'revert failed: ' || v_message;
        v_hint := 'The revert writes each table as the table''s owner (docs/revert.md): grant the owner what it lacks. Nothing was changed.';
    ELSIF coalesce(v_hint, '') = '' THEN
        v_message := 'revert failed: ' || v_message;
        v_hint := 'A row the revert would write conflicts with the table as it is now (a key taken by a row inserted without being logged, a NOT NULL column excluded from the log, a check constraint). Nothing was changed.';
    END IF;
    RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_message, DETAIL = coalesce(v_detail, ''), HINT = v_hint;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_transactions(bigint[], boolean, boolean, boolean, name[]) IS
    'Undoes the data changes of the given transactions (newest first, in one transaction, itself logged); refuses on conflicts with later transactions unless include_later or force; dry_run returns the plan. One row per event undone.';

-- Every transaction from first_id to last_id (chronicle.transaction_log ids, inclusive).
CREATE FUNCTION chronicle.revert_transactions(
    first_id bigint,
    last_id bigint,
    include_later boolean DEFAULT false,
    force boolean DEFAULT false,
    dry_run boolean DEFAULT false,
    keep_triggers name[] DEFAULT '{}')
RETURNS TABLE (reverted_transaction_id bigint, event_id bigint, table_name regclass, action text, row_count bigint)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_ids bigint[];
BEGIN
    IF first_id IS NULL OR last_id IS NULL OR first_id > last_id THEN
        RAISE EXCEPTION 'no transaction to revert between % and %', first_id, last_id
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass the first and the last chronicle.transaction_log id of the range.';
    END IF;
    SELECT pg_catalog.array_agg(t.id ORDER BY t.id) INTO v_ids
    FROM chronicle.transaction_log AS t WHERE t.id BETWEEN first_id AND last_id;
    IF v_ids IS NULL THEN
        RAISE EXCEPTION 'no transaction to revert between % and %', first_id, last_id
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass the first and the last chronicle.transaction_log id of the range.';
    END IF;
    RETURN QUERY SELECT * FROM chronicle.revert_transactions(v_ids, include_later, force, dry_run, keep_triggers);
END
$function$;

COMMENT ON FUNCTION chronicle.revert_transactions(bigint, bigint, boolean, boolean, boolean, name[]) IS
    'Undoes the data changes of every transaction from first_id to last_id (see revert_transactions(bigint[], ...)).';

CREATE FUNCTION chronicle.revert_transaction(
    transaction_id bigint,
    include_later boolean DEFAULT false,
    force boolean DEFAULT false,
    dry_run boolean DEFAULT false,
    keep_triggers name[] DEFAULT '{}')
RETURNS TABLE (reverted_transaction_id bigint, event_id bigint, table_name regclass, action text, row_count bigint)
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT * FROM chronicle.revert_transactions(ARRAY[transaction_id], include_later, force, dry_run, keep_triggers)
$function$;

COMMENT ON FUNCTION chronicle.revert_transaction(bigint, boolean, boolean, boolean, name[]) IS
    'Undoes the data changes of one transaction (see revert_transactions).';

-- ==== functions (src/sql/functions/setup/audit_target.sql)
-- The row key of a table that may be audited: its primary key, else its first unique,
-- non-partial key on plain NOT NULL columns. Raises a clear error for anything that cannot be
-- audited, so the setup functions can check every table before they change anything.
CREATE FUNCTION chronicle.audit_key_columns(table_name regclass)
RETURNS name[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_class record;
    v_key name[];
    v_parent regclass;
BEGIN
    IF table_name IS NULL THEN
        RAISE EXCEPTION 'table_name must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT c.relkind, c.relpersistence, c.relispartition, c.relhassubclass, n.nspname
    INTO v_class
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.oid = table_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relation with OID % does not exist', table_name::oid USING ERRCODE = '42P01';
    END IF;

    IF v_class.nspname = 'chronicle' THEN
        RAISE EXCEPTION 'cannot audit %: it belongs to chronicle', table_name
            USING ERRCODE = '42809', HINT = 'chronicle''s own tables are its log; they are never audited.';
    END IF;
    IF v_class.nspname IN ('pg_catalog', 'information_schema', 'pg_toast') THEN
        RAISE EXCEPTION 'cannot audit system relation %', table_name USING ERRCODE = '42809';
    END IF;
    IF v_class.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION 'cannot audit %: it is not a table', table_name
            USING ERRCODE = '42809', HINT = 'Audit the tables that a view or foreign table reads or writes.';
    END IF;
    IF v_class.relpersistence = 't' THEN
        RAISE EXCEPTION 'cannot audit temporary table %', table_name USING ERRCODE = '0A000';
    END IF;
    IF v_class.relispartition THEN
        SELECT i.inhparent::regclass INTO v_parent
        FROM pg_catalog.pg_inherits AS i WHERE i.inhrelid = table_name;
        RAISE EXCEPTION 'cannot audit % on its own: it is a partition of %', table_name, v_parent
            USING ERRCODE = '0A000',
                  HINT = 'Audit the partitioned table: its audit covers every partition, whichever relation a statement names.';
    END IF;
    IF v_class.relkind = 'r'
       AND (v_class.relhassubclass OR EXISTS (SELECT FROM pg_catalog.pg_inherits AS i WHERE i.inhrelid = table_name)) THEN
        RAISE EXCEPTION 'cannot audit %: it takes part in table inheritance', table_name
            USING ERRCODE = '0A000', HINT = 'Only plain and partitioned tables can be audited.';
    END IF;

    SELECT pg_catalog.array_agg(a.attname ORDER BY k.ord) INTO v_key
    FROM (
        SELECT i.indkey, i.indnkeyatts
        FROM pg_catalog.pg_index AS i
        JOIN pg_catalog.pg_class AS ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = table_name
          AND i.indisunique
          -- A deferrable key lets two rows share a key between statements of a transaction, and
          -- then a logged key no longer names one row.
          AND i.indimmediate
          AND i.indpred IS NULL
          AND i.indexprs IS NULL
          AND (i.indisprimary OR NOT EXISTS (
                SELECT FROM pg_catalog.pg_attribute AS a
                WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) AND NOT a.attnotnull))
        ORDER BY i.indisprimary DESC, i.indnkeyatts, ic.relname
        LIMIT 1
    ) AS chosen
    CROSS JOIN LATERAL pg_catalog.unnest(chosen.indkey::smallint[]) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = table_name AND a.attnum = k.attnum
    WHERE k.ord <= chosen.indnkeyatts;

    IF v_key IS NULL AND EXISTS (SELECT FROM pg_catalog.pg_index AS i
                                 WHERE i.indrelid = table_name AND i.indisunique AND NOT i.indimmediate) THEN
        RAISE EXCEPTION 'cannot audit %: its keys are deferrable', table_name
            USING ERRCODE = '55000',
                  HINT = 'A deferrable key lets two rows share a key inside a transaction, so a logged key would not name one row: '
                         'make the key NOT DEFERRABLE, or add a unique constraint on NOT NULL columns that is not deferrable.';
    END IF;
    IF v_key IS NULL THEN
        RAISE EXCEPTION 'cannot audit %: it has no primary key and no unique key on NOT NULL columns', table_name
            USING ERRCODE = '55000',
                  HINT = 'chronicle identifies rows by their key: add a primary key (or a unique constraint on NOT NULL columns) and try again.';
    END IF;
    RETURN v_key;
END
$function$;

COMMENT ON FUNCTION chronicle.audit_key_columns(regclass) IS
    'Internal: the row key columns chronicle would use for a table, or an error saying why the table cannot be audited.';

-- The current audit_table_log version of a table, found by its current schema and name.
CREATE FUNCTION chronicle.current_table_version(table_name regclass)
RETURNS chronicle.audit_table_log
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT t.*
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN chronicle.audit_table_log AS t
      ON t.schema_name = n.nspname AND t.table_name = c.relname AND t.valid_until IS NULL
    WHERE c.oid = current_table_version.table_name
$function$;

COMMENT ON FUNCTION chronicle.current_table_version(regclass) IS
    'Internal: the current chronicle.audit_table_log row of an audited table, or NULL.';

-- ==== functions (src/sql/functions/setup/create_table_audit.sql)
-- Starts auditing a table: records its version and columns, generates its capture function and
-- triggers, and optionally logs its current rows as a baseline. Calling it again with the same
-- options changes nothing and says so; with other options it starts a new table version.
CREATE FUNCTION chronicle.create_table_audit(
    table_name regclass,
    log_old_data boolean DEFAULT true,
    log_new_data boolean DEFAULT false,
    excluded_columns name[] DEFAULT '{}',
    log_baseline boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_key name[] := chronicle.audit_key_columns(table_name);
    v_excluded name[];
    v_unknown name[];
    v_current chronicle.audit_table_log;
    v_transaction_id bigint;
    v_version_id bigint;
    v_table_id bigint;
BEGIN
    IF log_old_data IS NULL OR log_new_data IS NULL OR excluded_columns IS NULL OR log_baseline IS NULL THEN
        RAISE EXCEPTION 'the options of create_table_audit must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT coalesce(pg_catalog.array_agg(DISTINCT e.name ORDER BY e.name), '{}') INTO v_excluded
    FROM pg_catalog.unnest(excluded_columns) AS e(name);

    SELECT pg_catalog.array_agg(e.name ORDER BY e.name) INTO v_unknown
    FROM pg_catalog.unnest(v_excluded) AS e(name)
    WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
                      WHERE a.attrelid = table_name AND a.attname = e.name AND a.attnum > 0 AND NOT a.attisdropped);
    IF v_unknown IS NOT NULL THEN
        RAISE EXCEPTION 'cannot exclude column(s) % of %: no such column', v_unknown, table_name
            USING ERRCODE = '42703';
    END IF;
    IF v_excluded && v_key THEN
        RAISE EXCEPTION 'cannot exclude key column(s) % of %', ARRAY(SELECT pg_catalog.unnest(v_excluded) INTERSECT SELECT pg_catalog.unnest(v_key)), table_name
            USING ERRCODE = '22023', HINT = 'The row key identifies every logged change; it is always logged.';
    END IF;

    -- Writers wait while the triggers are (re)installed, so no statement is half captured.
    EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', table_name);

    v_current := chronicle.current_table_version(table_name);
    IF v_current.id IS NULL AND EXISTS (
            SELECT FROM pg_catalog.pg_trigger AS t
            WHERE t.tgrelid = table_name AND t.tgname = 'chronicle_capture_insert') THEN
        RAISE EXCEPTION 'table % has chronicle capture triggers but is not audited under this name', table_name
            USING ERRCODE = '55000',
                  HINT = 'It was probably renamed or moved: drop its chronicle_capture_* triggers, or rename it back.';
    END IF;
    IF v_current.id IS NOT NULL
       AND v_current.key_columns = v_key
       AND v_current.log_old_data = log_old_data
       AND v_current.log_new_data = log_new_data
       AND v_current.excluded_columns = v_excluded THEN
        -- Triggers missing from a relation of the table (a partition created since, or a trigger
        -- someone dropped) are installed again; the version and the log stay as they are.
        IF EXISTS (
                SELECT FROM (SELECT table_name AS relid
                             UNION
                             SELECT p.relid FROM pg_catalog.pg_partition_tree(table_name) AS p) AS r
                WHERE (SELECT pg_catalog.count(*) FROM pg_catalog.pg_trigger AS t
                       WHERE t.tgrelid = r.relid
                         AND ((t.tgname IN ('chronicle_capture_insert', 'chronicle_capture_update',
                                            'chronicle_capture_delete', 'chronicle_capture_truncate')
                               AND t.tgfoid = pg_catalog.to_regprocedure(pg_catalog.format('chronicle.%I()', 'capture_' || v_current.table_id)))
                              OR (t.tgname = 'chronicle_capture_start'
                                  AND t.tgfoid = 'chronicle.stamp_statement()'::pg_catalog.regprocedure))) < 5) THEN
            PERFORM chronicle.install_capture(v_current.table_id, table_name);
            RAISE NOTICE 'table % is already audited with these options; its missing capture triggers are installed again', table_name;
        ELSE
            RAISE NOTICE 'table % is already audited with these options; nothing changed', table_name;
        END IF;
        IF log_baseline THEN
            PERFORM chronicle.log_table_baseline(table_name);
        END IF;
        RETURN v_current.table_id;
    END IF;

    v_transaction_id := chronicle.log_transaction();
    v_version_id := pg_catalog.nextval('chronicle.audit_table_log_id_seq');
    v_table_id := coalesce(v_current.table_id, v_version_id);
    IF v_current.id IS NOT NULL THEN
        UPDATE chronicle.audit_table_log AS t SET valid_until = v_transaction_id WHERE t.id = v_current.id;
        RAISE NOTICE 'table % was already audited; its audit options are now changed', table_name;
    END IF;

    INSERT INTO chronicle.audit_table_log
        (id, table_id, schema_name, table_name, key_columns, log_old_data, log_new_data, excluded_columns, valid_from)
    OVERRIDING SYSTEM VALUE
    SELECT v_version_id, v_table_id, n.nspname, c.relname, v_key, log_old_data, log_new_data, v_excluded, v_transaction_id
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.oid = table_name;

    IF v_current.id IS NULL THEN
        INSERT INTO chronicle.audit_column_log
            (table_id, column_name, ordinal_position, data_type, column_default, not_null, generated, identity, valid_from)
        SELECT v_table_id, a.attname, a.attnum, pg_catalog.format_type(a.atttypid, a.atttypmod),
               pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attnotnull,
               CASE a.attgenerated WHEN 's' THEN 'STORED' WHEN 'v' THEN 'VIRTUAL' END,
               CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END,
               v_transaction_id
        FROM pg_catalog.pg_attribute AS a
        LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = table_name AND a.attnum > 0 AND NOT a.attisdropped;
    END IF;

    PERFORM chronicle.install_capture(v_table_id, table_name);
    IF log_baseline THEN
        PERFORM chronicle.log_table_baseline(table_name);
    END IF;
    RETURN v_table_id;
END
$function$;

COMMENT ON FUNCTION chronicle.create_table_audit(regclass, boolean, boolean, name[], boolean) IS
    'Starts auditing a table (options: log old data, log new data, excluded columns, baseline); returns its table id.';

-- ==== functions (src/sql/functions/setup/drop_table_audit.sql)
-- Stops auditing a table. With keep_log (the default) its log stays queryable and restorable;
-- without it, every log row of the table is deleted too.
CREATE FUNCTION chronicle.drop_table_audit(table_name regclass, keep_log boolean DEFAULT true)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_current chronicle.audit_table_log;
    v_transaction_id bigint;
BEGIN
    IF table_name IS NULL OR keep_log IS NULL THEN
        RAISE EXCEPTION 'the arguments of drop_table_audit must not be NULL' USING ERRCODE = '22004';
    END IF;
    EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', table_name);
    v_current := chronicle.current_table_version(table_name);
    IF v_current.id IS NULL THEN
        RAISE NOTICE 'table % is not audited; nothing changed', table_name;
        RETURN;
    END IF;

    PERFORM chronicle.remove_capture(v_current.table_id, table_name);
    -- A table no longer audited by choice is not audited again by its schema's auto-audit.
    UPDATE chronicle.auto_audit_schema AS s
    SET except_tables = s.except_tables || v_current.table_name
    WHERE s.schema_name = v_current.schema_name AND v_current.table_name <> ALL (s.except_tables);
    IF keep_log THEN
        v_transaction_id := chronicle.log_transaction();
        UPDATE chronicle.audit_table_log AS t SET valid_until = v_transaction_id WHERE t.id = v_current.id;
        UPDATE chronicle.audit_column_log AS c SET valid_until = v_transaction_id
        WHERE c.table_id = v_current.table_id AND c.valid_until IS NULL;
    ELSE
        DELETE FROM chronicle.row_log AS r WHERE r.table_id = v_current.table_id;
        DELETE FROM chronicle.table_event_log AS e WHERE e.table_id = v_current.table_id;
        DELETE FROM chronicle.audit_column_log AS c WHERE c.table_id = v_current.table_id;
        DELETE FROM chronicle.audit_table_log AS t WHERE t.table_id = v_current.table_id;
    END IF;
END
$function$;

COMMENT ON FUNCTION chronicle.drop_table_audit(regclass, boolean) IS
    'Stops auditing a table; keep_log => false also deletes its log.';

-- ==== functions (src/sql/functions/setup/log_table_baseline.sql)
-- Logs the rows an audited table holds now as one BASELINE event, so a forward replay of its
-- history can start from a complete state. Writers wait until the baseline is taken, so it is
-- an exact cut between earlier and later events. Rows are written exactly as the capture
-- functions write them: the same whole-row expression, under the same output settings.
CREATE FUNCTION chronicle.log_table_baseline(table_name regclass)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
AS $function$
DECLARE
    v_current chronicle.audit_table_log;
    v_key text;
    v_rows bigint;
BEGIN
    IF table_name IS NULL THEN
        RAISE EXCEPTION 'table_name must not be NULL' USING ERRCODE = '22004';
    END IF;
    EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE MODE', table_name);
    v_current := chronicle.current_table_version(table_name);
    IF v_current.id IS NULL THEN
        RAISE EXCEPTION 'table % is not audited', table_name
            USING ERRCODE = '55000', HINT = 'Start auditing it with chronicle.create_table_audit first.';
    END IF;

    v_key := chronicle.capture_key_expression(table_name, v_current.key_columns, 't');
    -- (the event is an uncorrelated subquery, run once when the first row is logged: an empty
    -- table logs no event, as in the capture functions)

    EXECUTE pg_catalog.format($sql$
        INSERT INTO chronicle.row_log (event_id, table_id, row_key, old_data, new_data)
        SELECT (SELECT chronicle.log_event(%1$s, 'BASELINE')), %1$s, %3$s, NULL, %4$s
        FROM %2$s AS t%5$s$sql$,
        v_current.table_id, table_name, v_key,
        chronicle.capture_whole_row(table_name, 't', v_current.excluded_columns),
        chronicle.capture_whole_row_source(table_name, 't', v_current.excluded_columns));
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN v_rows;
END
$function$;

COMMENT ON FUNCTION chronicle.log_table_baseline(regclass) IS
    'Logs the current rows of an audited table as a BASELINE event; returns the number of rows logged.';

-- ==== functions (src/sql/functions/setup/schema_audit.sql)
-- Audits every plain and partitioned table of a schema (partitions are covered through their
-- partitioned table), except the named ones. Every table is checked before any is changed.
CREATE FUNCTION chronicle.create_schema_audit(
    schema_name name,
    except_tables name[] DEFAULT '{}',
    log_old_data boolean DEFAULT true,
    log_new_data boolean DEFAULT false,
    log_baseline boolean DEFAULT false,
    auto_audit_new_tables boolean DEFAULT false)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_schema oid;
    v_unknown name[];
    v_table regclass;
    v_tables regclass[];
    v_current chronicle.audit_table_log;
    v_newly_audited integer := 0;
BEGIN
    IF schema_name IS NULL OR except_tables IS NULL THEN
        RAISE EXCEPTION 'schema_name and except_tables must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF log_old_data IS NULL OR log_new_data IS NULL OR log_baseline IS NULL OR auto_audit_new_tables IS NULL THEN
        RAISE EXCEPTION 'the options of create_schema_audit must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT n.oid INTO v_schema FROM pg_catalog.pg_namespace AS n WHERE n.nspname = schema_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'schema "%" does not exist', schema_name USING ERRCODE = '3F000';
    END IF;
    IF schema_name = 'chronicle' THEN
        RAISE EXCEPTION 'cannot audit schema chronicle' USING ERRCODE = '42809',
            HINT = 'chronicle''s own tables are its log; they are never audited.';
    END IF;
    SELECT pg_catalog.array_agg(e.name ORDER BY e.name) INTO v_unknown
    FROM pg_catalog.unnest(except_tables) AS e(name)
    WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_class AS c
                      WHERE c.relnamespace = v_schema AND c.relname = e.name AND c.relkind IN ('r', 'p'));
    IF v_unknown IS NOT NULL THEN
        RAISE EXCEPTION 'except_tables names no table of schema "%": %', schema_name, v_unknown USING ERRCODE = '42P01';
    END IF;

    SELECT coalesce(pg_catalog.array_agg(c.oid::regclass ORDER BY c.relname), '{}') INTO v_tables
    FROM pg_catalog.pg_class AS c
    WHERE c.relnamespace = v_schema AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND c.relpersistence <> 't' AND c.relname <> ALL (except_tables);

    -- New tables are audited by the DDL capture event triggers (docs/ddl.md): without them, the
    -- option would silently do nothing.
    IF auto_audit_new_tables AND NOT (SELECT s.ddl_capture_enabled FROM chronicle.ddl_capture_status AS s) THEN
        RAISE EXCEPTION 'cannot audit the new tables of schema "%": DDL capture is off', schema_name
            USING ERRCODE = '55000',
                  HINT = 'DDL capture needs the extension''s event triggers, created when a superuser installs or updates it; see chronicle.ddl_capture_status.';
    END IF;

    -- Check every table first, so a table that cannot be audited leaves the schema unchanged.
    FOREACH v_table IN ARRAY v_tables LOOP
        PERFORM chronicle.audit_key_columns(v_table);
    END LOOP;
    -- A table audited already keeps its options (above all its excluded columns): the call
    -- only reinstalls capture triggers it lacks, e.g. on a partition created since.
    FOREACH v_table IN ARRAY v_tables LOOP
        v_current := chronicle.current_table_version(v_table);
        IF v_current.id IS NULL THEN
            v_newly_audited := v_newly_audited + 1;
            PERFORM chronicle.create_table_audit(v_table, log_old_data, log_new_data, '{}', log_baseline);
        ELSE
            PERFORM chronicle.create_table_audit(v_table, v_current.log_old_data, v_current.log_new_data,
                                                 v_current.excluded_columns, false);
        END IF;
    END LOOP;
    -- Without the option, an earlier call's auto-audit stays as it was.
    IF auto_audit_new_tables THEN
        INSERT INTO chronicle.auto_audit_schema AS s (schema_name, log_old_data, log_new_data, except_tables)
        VALUES (create_schema_audit.schema_name, log_old_data, log_new_data, except_tables)
        ON CONFLICT ON CONSTRAINT auto_audit_schema_pkey DO UPDATE
        SET log_old_data = EXCLUDED.log_old_data, log_new_data = EXCLUDED.log_new_data, except_tables = EXCLUDED.except_tables;
    END IF;
    RETURN v_newly_audited;
END
$function$;

COMMENT ON FUNCTION chronicle.create_schema_audit(name, name[], boolean, boolean, boolean, boolean) IS
    'Audits every table of a schema except the named ones, and with auto_audit_new_tables the tables created in it later; returns how many tables were not audited before.';

-- Stops auditing every audited table of a schema.
CREATE FUNCTION chronicle.drop_schema_audit(schema_name name, keep_log boolean DEFAULT true)
RETURNS integer
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_table regclass;
    v_count integer := 0;
BEGIN
    IF schema_name IS NULL OR keep_log IS NULL THEN
        RAISE EXCEPTION 'the arguments of drop_schema_audit must not be NULL' USING ERRCODE = '22004';
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_namespace AS n WHERE n.nspname = schema_name) THEN
        RAISE EXCEPTION 'schema "%" does not exist', schema_name USING ERRCODE = '3F000';
    END IF;
    FOR v_table IN
        SELECT pg_catalog.to_regclass(pg_catalog.format('%I.%I', t.schema_name, t.table_name))
        FROM chronicle.audit_table_log AS t
        WHERE t.schema_name = drop_schema_audit.schema_name AND t.valid_until IS NULL
        ORDER BY t.table_name
    LOOP
        CONTINUE WHEN v_table IS NULL;
        PERFORM chronicle.drop_table_audit(v_table, keep_log);
        v_count := v_count + 1;
    END LOOP;
    DELETE FROM chronicle.auto_audit_schema AS s WHERE s.schema_name = drop_schema_audit.schema_name;
    IF v_count = 0 AND NOT FOUND THEN
        RAISE NOTICE 'no table of schema "%" is audited; nothing changed', schema_name;
    END IF;
    RETURN v_count;
END
$function$;

COMMENT ON FUNCTION chronicle.drop_schema_audit(name, boolean) IS
    'Stops auditing every audited table of a schema, and its new tables; returns how many tables it stopped auditing.';

-- ==== views (src/sql/views/audited_tables.sql)
-- The audited tables, with their current options. The table is found by joining the catalogs
-- on its logged schema and name, never by a name look-up such as to_regclass(), which would need
-- USAGE on the table's schema: chronicle_viewer must be able to list every audited table.
CREATE VIEW chronicle.audited_tables AS
SELECT c.oid::pg_catalog.regclass AS audited_table,
       t.table_id,
       t.schema_name,
       t.table_name,
       t.key_columns,
       t.log_old_data,
       t.log_new_data,
       t.excluded_columns,
       first_version.started_at AS audited_since
FROM chronicle.audit_table_log AS t
LEFT JOIN pg_catalog.pg_namespace AS n ON n.nspname = t.schema_name
LEFT JOIN pg_catalog.pg_class AS c
       ON c.relnamespace = n.oid AND c.relname = t.table_name AND c.relkind IN ('r', 'p')
LEFT JOIN LATERAL (
    SELECT x.started_at
    FROM chronicle.audit_table_log AS v
    JOIN chronicle.transaction_log AS x ON x.id = v.valid_from
    WHERE v.table_id = t.table_id
    ORDER BY v.id
    LIMIT 1
) AS first_version ON true
WHERE t.valid_until IS NULL;

COMMENT ON VIEW chronicle.audited_tables IS 'The tables chronicle audits now, with their options.';

-- ==== views (src/sql/views/ddl_capture_status.sql)
-- Whether DDL capture is on: its three event triggers exist and fire (enabled, not disabled or
-- replica-only). It is off where the extension was installed without a superuser, or when an
-- event trigger was disabled by hand.
CREATE VIEW chronicle.ddl_capture_status AS
SELECT pg_catalog.count(e.oid) FILTER (WHERE e.evtenabled IN ('O', 'A')) = 3 AS ddl_capture_enabled,
       ARRAY(SELECT w.name FROM pg_catalog.unnest(ARRAY['chronicle_ddl_command_start', 'chronicle_ddl_command_end',
                                                        'chronicle_sql_drop']::name[]) AS w(name)
             WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_event_trigger AS x
                               WHERE x.evtname = w.name AND x.evtenabled IN ('O', 'A'))) AS inactive_event_triggers
FROM pg_catalog.pg_event_trigger AS e
WHERE e.evtname IN ('chronicle_ddl_command_start', 'chronicle_ddl_command_end', 'chronicle_sql_drop');

COMMENT ON VIEW chronicle.ddl_capture_status IS
    'Whether DDL capture is on (ddl_capture_enabled), and which of its event triggers are missing or disabled.';

-- ==== event triggers (src/sql/event_triggers.sql)
-- Triggers on chronicle's own tables that call its functions, recreated by every install and
-- upgrade script after the functions exist.

-- The commit stamp (chronicle.stamp_commit): deferred, so it runs as the transaction commits.
DO $log_triggers$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS t
                   WHERE t.tgrelid = 'chronicle.transaction_log'::pg_catalog.regclass AND t.tgname = 'chronicle_stamp_commit') THEN
        CREATE CONSTRAINT TRIGGER chronicle_stamp_commit
            AFTER INSERT ON chronicle.transaction_log
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION chronicle.stamp_commit();
    END IF;
    -- ALWAYS: a revert writes (and logs) under session_replication_role = replica, where a trigger
    -- left ENABLE would never be queued and its transaction never stamped
    ALTER TABLE chronicle.transaction_log ENABLE ALWAYS TRIGGER chronicle_stamp_commit;
END
$log_triggers$;

-- Event triggers, recreated by every install and upgrade script: DDL capture (docs/ddl.md).
-- Creating an event trigger needs a superuser. Where the script runs without one, the extension
-- still installs and audits DML; DDL capture is then off, which chronicle.ddl_capture_status and
-- the CLI's status report.
DO $event_triggers$
BEGIN
    DROP EVENT TRIGGER IF EXISTS chronicle_ddl_command_start;
    DROP EVENT TRIGGER IF EXISTS chronicle_ddl_command_end;
    DROP EVENT TRIGGER IF EXISTS chronicle_sql_drop;
    CREATE EVENT TRIGGER chronicle_ddl_command_start ON ddl_command_start
        WHEN TAG IN ('ALTER TABLE', 'DROP TABLE', 'DROP SCHEMA', 'DROP OWNED', 'DROP EXTENSION')
        EXECUTE FUNCTION chronicle.ddl_command_start();
    CREATE EVENT TRIGGER chronicle_ddl_command_end ON ddl_command_end
        WHEN TAG IN ('ALTER TABLE', 'DROP TABLE', 'DROP SCHEMA', 'ALTER SCHEMA', 'CREATE INDEX', 'DROP INDEX',
                     'ALTER INDEX', 'DROP TYPE', 'DROP DOMAIN', 'ALTER TYPE', 'ALTER DOMAIN', 'DROP OWNED',
                     'CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'DROP SEQUENCE', 'DROP EXTENSION',
                     'DROP COLLATION', 'CREATE TRIGGER', 'CREATE RULE', 'CREATE POLICY', 'ALTER POLICY',
                     'COMMENT', 'ALTER SEQUENCE')
        EXECUTE FUNCTION chronicle.ddl_command_end();
    CREATE EVENT TRIGGER chronicle_sql_drop ON sql_drop
        EXECUTE FUNCTION chronicle.ddl_sql_drop();
    -- ALWAYS: DDL is captured whatever session_replication_role says; a revert undoes DDL under
    -- replica (so that foreign-key triggers stay quiet), and its DDL must be logged like any other
    ALTER EVENT TRIGGER chronicle_ddl_command_start ENABLE ALWAYS;
    ALTER EVENT TRIGGER chronicle_ddl_command_end ENABLE ALWAYS;
    ALTER EVENT TRIGGER chronicle_sql_drop ENABLE ALWAYS;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'chronicle: DDL capture is off (creating event triggers needs a superuser); DML auditing works'
        USING HINT = 'Install or update the extension as a superuser to capture schema changes of audited tables.';
END
$event_triggers$;

-- ==== grants (src/sql/grants.sql)
-- Privileges, re-emitted by every install and upgrade script.
GRANT EXECUTE ON FUNCTION chronicle.version() TO PUBLIC;

-- chronicle_viewer reads the log; chronicle_admin (a member of chronicle_viewer) configures it.
-- Nobody else may read or change it: logs are written only by the extension's SECURITY DEFINER
-- functions.
GRANT USAGE ON SCHEMA chronicle TO chronicle_viewer;
REVOKE ALL ON TABLE chronicle.transaction_log, chronicle.table_event_log, chronicle.row_log,
                    chronicle.audit_table_log, chronicle.audit_column_log, chronicle.audited_tables,
                    chronicle.auto_audit_schema, chronicle.ddl_capture_status
    FROM PUBLIC;
GRANT SELECT ON TABLE chronicle.transaction_log, chronicle.table_event_log, chronicle.row_log,
                      chronicle.audit_table_log, chronicle.audit_column_log, chronicle.audited_tables,
                      chronicle.auto_audit_schema, chronicle.ddl_capture_status
    TO chronicle_viewer;

REVOKE ALL ON FUNCTION
    chronicle.log_transaction(),
    chronicle.log_event(integer, chronicle.event_operation),
    chronicle.stamp_statement(),
    chronicle.statement_stamp(integer),
    chronicle.raise_unpaired_update(bigint),
    chronicle.capture_function_source(bigint, regclass),
    chronicle.capture_function_definition(bigint, regclass),
    chronicle.capture_base_type(oid),
    chronicle.capture_type_may_lose(oid),
    chronicle.capture_type_follows_settings(oid),
    chronicle.capture_type_is_user_defined(oid),
    chronicle.capture_output_text(text),
    chronicle.capture_text_form(text),
    chronicle.capture_text_correction(name, text, text),
    chronicle.capture_lossy_condition(oid, text),
    chronicle.capture_value_expression(oid, text),
    chronicle.capture_object_value(oid, text),
    chronicle.capture_row_corrections(regclass, text, name[]),
    chronicle.capture_concatenation(text[]),
    chronicle.capture_key_rank(name),
    chronicle.capture_unlogged_columns(regclass, name[]),
    chronicle.capture_whole_row(regclass, text, name[]),
    chronicle.capture_whole_row_source(regclass, text, name[]),
    chronicle.capture_key_object(name[], oid[], text[]),
    chronicle.capture_key_expression(regclass, name[], text),
    chronicle.install_capture(bigint, regclass),
    chronicle.remove_capture(bigint, regclass),
    chronicle.audit_key_columns(regclass),
    chronicle.current_table_version(regclass),
    chronicle.create_table_audit(regclass, boolean, boolean, name[], boolean),
    chronicle.drop_table_audit(regclass, boolean),
    chronicle.log_table_baseline(regclass),
    chronicle.create_schema_audit(name, name[], boolean, boolean, boolean, boolean),
    chronicle.drop_schema_audit(name, boolean),
    chronicle.ddl_query_identifiers(text),
    chronicle.ddl_query_relation_names(text),
    chronicle.ddl_audited_relations(),
    chronicle.ddl_named_relations(text[], boolean),
    chronicle.ddl_changed_tables(),
    chronicle.ddl_log_event(integer, text, jsonb),
    chronicle.ddl_log_rows(integer, regclass, boolean, text, jsonb, name[], boolean),
    chronicle.ddl_column_changes(integer, regclass),
    chronicle.ddl_event_from_pre_image(integer, text, jsonb, bigint, name),
    chronicle.ddl_sync_table(integer, regclass, text),
    chronicle.ddl_protected_structure(),
    chronicle.ddl_command_start(),
    chronicle.ddl_command_end(),
    chronicle.ddl_sql_drop(),
    chronicle.sync_table_structure(regclass)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    chronicle.create_table_audit(regclass, boolean, boolean, name[], boolean),
    chronicle.drop_table_audit(regclass, boolean),
    chronicle.log_table_baseline(regclass),
    chronicle.create_schema_audit(name, name[], boolean, boolean, boolean, boolean),
    chronicle.drop_schema_audit(name, boolean),
    chronicle.sync_table_structure(regclass)
    TO chronicle_admin;

-- Revert (issue 6): chronicle_admin reverts; chronicle_viewer reads which transactions were reverted.
REVOKE ALL ON TABLE chronicle.revert_log FROM PUBLIC;
GRANT SELECT ON TABLE chronicle.revert_log TO chronicle_viewer;
REVOKE ALL ON FUNCTION
    chronicle.revert_key_condition(regclass, name[], text, text, boolean),
    chronicle.revert_columns(regclass, name[], boolean),
    chronicle.revert_entries(boolean, text),
    chronicle.revert_active_revert(bigint),
    chronicle.revert_written_relations(regclass[]),
    chronicle.revert_begin_writes(),
    chronicle.revert_execute(regclass, text, bigint, text[], jsonb[], boolean),
    chronicle.revert_end_writes(),
    chronicle.revert_set_triggers(regclass[], name[], jsonb),
    chronicle.revert_check_foreign_keys(regclass[]),
    chronicle.revert_transactions(bigint[], boolean, boolean, boolean, name[]),
    chronicle.revert_transactions(bigint, bigint, boolean, boolean, boolean, name[]),
    chronicle.revert_transaction(bigint, boolean, boolean, boolean, name[])
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    chronicle.revert_transactions(bigint[], boolean, boolean, boolean, name[]),
    chronicle.revert_transactions(bigint, bigint, boolean, boolean, boolean, name[]),
    chronicle.revert_transaction(bigint, boolean, boolean, boolean, name[])
    TO chronicle_admin;

-- Time travel (issue 5): chronicle_viewer reads the past; chronicle_admin sets marks and restores.
REVOKE ALL ON TABLE chronicle.mark FROM PUBLIC;
GRANT SELECT ON TABLE chronicle.mark TO chronicle_viewer;
REVOKE ALL ON FUNCTION
    chronicle.stamp_commit(),
    chronicle.cut(timestamptz),
    chronicle.cut(bigint),
    chronicle.cut(text),
    chronicle.as_timestamp(text),
    chronicle.transactions_after(chronicle.cut),
    chronicle.in_cut(chronicle.cut, bigint),
    chronicle.set_mark(text, text),
    chronicle.delete_mark(text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    chronicle.cut(timestamptz),
    chronicle.cut(bigint),
    chronicle.cut(text),
    chronicle.as_timestamp(text),
    chronicle.transactions_after(chronicle.cut),
    chronicle.in_cut(chronicle.cut, bigint)
    TO chronicle_viewer;
GRANT EXECUTE ON FUNCTION
    chronicle.set_mark(text, text),
    chronicle.delete_mark(text)
    TO chronicle_admin;
REVOKE ALL ON FUNCTION
    chronicle.state_version(integer, chronicle.cut),
    chronicle.state_columns(integer, chronicle.cut),
    chronicle.state_shape_events(integer, chronicle.cut),
    chronicle.state_undo_shape(jsonb, text[], text[], text[], integer),
    chronicle.state_query(integer, chronicle.cut, text, jsonb[]),
    chronicle.state_json_value(regclass, name, oid, integer, text),
    chronicle.state_json_key(regclass, name, text),
    chronicle.state_query_updates_only(integer, chronicle.cut, regclass, chronicle.audit_table_log, name[], boolean),
    chronicle.history_table_id(regclass),
    chronicle.as_of_cut(anyelement, chronicle.cut),
    chronicle.as_of(anyelement, text),
    chronicle.as_of(anyelement, timestamptz),
    chronicle.as_of(anyelement, bigint),
    chronicle.state_jsonb_expression(integer, chronicle.cut, text),
    chronicle.state_rows_jsonb(integer, chronicle.cut),
    chronicle.restore_recordset(regclass, text),
    chronicle.restore_recordset(regclass, timestamptz),
    chronicle.restore_recordset(regclass, bigint)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    chronicle.state_version(integer, chronicle.cut),
    chronicle.state_columns(integer, chronicle.cut),
    chronicle.state_shape_events(integer, chronicle.cut),
    chronicle.state_undo_shape(jsonb, text[], text[], text[], integer),
    chronicle.state_query(integer, chronicle.cut, text, jsonb[]),
    chronicle.state_json_value(regclass, name, oid, integer, text),
    chronicle.state_json_key(regclass, name, text),
    chronicle.state_query_updates_only(integer, chronicle.cut, regclass, chronicle.audit_table_log, name[], boolean),
    chronicle.history_table_id(regclass),
    chronicle.as_of_cut(anyelement, chronicle.cut),
    chronicle.as_of(anyelement, text),
    chronicle.as_of(anyelement, timestamptz),
    chronicle.as_of(anyelement, bigint),
    chronicle.state_jsonb_expression(integer, chronicle.cut, text),
    chronicle.state_rows_jsonb(integer, chronicle.cut),
    chronicle.restore_recordset(regclass, text),
    chronicle.restore_recordset(regclass, timestamptz),
    chronicle.restore_recordset(regclass, bigint)
    TO chronicle_viewer;
REVOKE ALL ON FUNCTION
    chronicle.state_rows(integer, chronicle.cut),
    chronicle.restore_state_at(chronicle.cut, integer[], name, text, boolean, boolean),
    chronicle.restore_table_constraints(integer, chronicle.cut, regclass, regclass),
    chronicle.state_key_ordered(regclass),
    chronicle.schema_tables_at(chronicle.cut, name),
    chronicle.restore_table_state(text, regclass, name, text, boolean, boolean),
    chronicle.restore_table_state(timestamptz, regclass, name, text, boolean, boolean),
    chronicle.restore_table_state(bigint, regclass, name, text, boolean, boolean),
    chronicle.restore_schema_state(text, name, name, text, boolean, boolean),
    chronicle.restore_schema_state(timestamptz, name, name, text, boolean, boolean),
    chronicle.restore_schema_state(bigint, name, name, text, boolean, boolean)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION chronicle.state_rows(integer, chronicle.cut) TO chronicle_viewer;
GRANT EXECUTE ON FUNCTION
    chronicle.restore_state_at(chronicle.cut, integer[], name, text, boolean, boolean),
    chronicle.restore_table_constraints(integer, chronicle.cut, regclass, regclass),
    chronicle.state_key_ordered(regclass),
    chronicle.schema_tables_at(chronicle.cut, name),
    chronicle.restore_table_state(text, regclass, name, text, boolean, boolean),
    chronicle.restore_table_state(timestamptz, regclass, name, text, boolean, boolean),
    chronicle.restore_table_state(bigint, regclass, name, text, boolean, boolean),
    chronicle.restore_schema_state(text, name, name, text, boolean, boolean),
    chronicle.restore_schema_state(timestamptz, name, name, text, boolean, boolean),
    chronicle.restore_schema_state(bigint, name, name, text, boolean, boolean)
    TO chronicle_admin;
REVOKE ALL ON FUNCTION
    chronicle.state_key(integer, chronicle.cut, jsonb),
    chronicle.state_row_fast(anyelement, integer, chronicle.cut, chronicle.audit_table_log, jsonb),
    chronicle.state_row_query(integer, chronicle.cut, text, text, jsonb[]),
    chronicle.state_row_slots(integer, chronicle.cut, name[], jsonb),
    chronicle.state_row(integer, chronicle.cut, jsonb),
    chronicle.restore_record_at(anyelement, jsonb, chronicle.cut),
    chronicle.restore_record(anyelement, jsonb, text),
    chronicle.restore_record(anyelement, jsonb, timestamptz),
    chronicle.restore_record(anyelement, jsonb, bigint),
    chronicle.restore_record_jsonb(regclass, jsonb, text),
    chronicle.restore_record_jsonb(regclass, jsonb, timestamptz),
    chronicle.restore_record_jsonb(regclass, jsonb, bigint),
    chronicle.restore_records(regclass, jsonb),
    chronicle.restore_recordsets_at(integer, chronicle.cut, chronicle.cut),
    chronicle.restore_recordsets(regclass, text, text),
    chronicle.restore_recordsets(regclass, timestamptz, timestamptz),
    chronicle.restore_recordsets(regclass, bigint, bigint),
    chronicle.table_diff_at(integer, chronicle.cut, chronicle.cut),
    chronicle.table_diff(regclass, text, text),
    chronicle.table_diff(regclass, timestamptz, timestamptz),
    chronicle.table_diff(regclass, bigint, bigint)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    chronicle.state_key(integer, chronicle.cut, jsonb),
    chronicle.state_row_fast(anyelement, integer, chronicle.cut, chronicle.audit_table_log, jsonb),
    chronicle.state_row_query(integer, chronicle.cut, text, text, jsonb[]),
    chronicle.state_row_slots(integer, chronicle.cut, name[], jsonb),
    chronicle.state_row(integer, chronicle.cut, jsonb),
    chronicle.restore_record_at(anyelement, jsonb, chronicle.cut),
    chronicle.restore_record(anyelement, jsonb, text),
    chronicle.restore_record(anyelement, jsonb, timestamptz),
    chronicle.restore_record(anyelement, jsonb, bigint),
    chronicle.restore_record_jsonb(regclass, jsonb, text),
    chronicle.restore_record_jsonb(regclass, jsonb, timestamptz),
    chronicle.restore_record_jsonb(regclass, jsonb, bigint),
    chronicle.restore_records(regclass, jsonb),
    chronicle.restore_recordsets_at(integer, chronicle.cut, chronicle.cut),
    chronicle.restore_recordsets(regclass, text, text),
    chronicle.restore_recordsets(regclass, timestamptz, timestamptz),
    chronicle.restore_recordsets(regclass, bigint, bigint),
    chronicle.table_diff_at(integer, chronicle.cut, chronicle.cut),
    chronicle.table_diff(regclass, text, text),
    chronicle.table_diff(regclass, timestamptz, timestamptz),
    chronicle.table_diff(regclass, bigint, bigint)
    TO chronicle_viewer;
-- the time-travel functions run as the caller and render the log's value forms with these
GRANT EXECUTE ON FUNCTION
    chronicle.capture_base_type(oid),
    chronicle.capture_type_may_lose(oid),
    chronicle.capture_type_is_user_defined(oid),
    chronicle.capture_output_text(text),
    chronicle.capture_text_form(text),
    chronicle.capture_text_correction(name, text, text),
    chronicle.capture_lossy_condition(oid, text),
    chronicle.capture_value_expression(oid, text),
    chronicle.capture_row_corrections(regclass, text, name[]),
    chronicle.capture_concatenation(text[]),
    chronicle.capture_key_rank(name),
    chronicle.capture_unlogged_columns(regclass, name[]),
    chronicle.capture_whole_row(regclass, text, name[]),
    chronicle.capture_whole_row_source(regclass, text, name[])
    TO chronicle_viewer;

-- DDL revert (issue 6): internal functions of revert_transactions, for no one else.
REVOKE ALL ON FUNCTION
    chronicle.revert_ddl_refusal(text, jsonb),
    chronicle.revert_action(text),
    chronicle.revert_logged_value(jsonb),
    chronicle.revert_ddl_execute(text, regclass),
    chronicle.revert_ddl_pre_image(integer, regclass, name[]),
    chronicle.revert_column_definition(chronicle.audit_column_log, boolean),
    chronicle.revert_create_sequences(chronicle.audit_column_log[]),
    chronicle.revert_set_sequences(regclass, name[]),
    chronicle.revert_ddl(bigint)
    FROM PUBLIC;
