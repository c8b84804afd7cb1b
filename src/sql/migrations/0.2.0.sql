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
