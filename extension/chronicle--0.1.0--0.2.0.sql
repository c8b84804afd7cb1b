-- chronicle upgrade script 0.1.0 -> 0.2.0
-- GENERATED FILE, do not edit: made by `npm run generate` from src/sql/ and control/.

-- complain if this script is sourced in psql rather than run by the extension machinery
\echo Use "ALTER EXTENSION chronicle UPDATE TO '0.2.0'" to load this file. \quit

-- every name below is schema-qualified; nothing may resolve through the caller's path
SET LOCAL search_path = pg_catalog, pg_temp;

-- ==== objects of the old version that are dropped before being re-created or removed
-- nothing to drop

-- ==== migration step 0.2.0
-- Release under development (control/releases.json "next"): append stateful changes here.

-- One row per transaction that changed audited data. Its id is taken once per transaction (never
-- per statement), so no sequence value is burned.
CREATE TABLE chronicle.transaction_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    txid xid8 NOT NULL,
    started_at timestamptz NOT NULL,
    session_user_name name NOT NULL,
    client_addr inet,
    client_port integer,
    application_name text,
    session_info jsonb,
    CONSTRAINT transaction_log_txid_key UNIQUE (txid)
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

-- ==== functions (src/sql/functions/core/version.sql)
CREATE OR REPLACE FUNCTION chronicle.version()
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

-- ==== functions (src/sql/functions/logging/log_transaction.sql)
-- Called by the capture triggers of audited tables at each statement: returns this transaction's
-- transaction_log id, inserting the row on the first call.
--
-- The id is cached in the setting chronicle.transaction_log_id as '<txid>:<id>'. One fixed name
-- for every transaction: PostgreSQL keeps each custom setting name for the life of the session,
-- so a name per transaction would slow every later SET (DESIGN.md §3). The value is set at
-- session level, because a SET LOCAL made inside a function with a SET clause is undone when the
-- function returns; a value left from an earlier transaction never matches the current txid, and
-- a rolled-back (sub)transaction takes the setting back together with the row.
CREATE OR REPLACE FUNCTION chronicle.log_transaction()
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_txid xid8 := pg_catalog.pg_current_xact_id();
    v_cached text := pg_catalog.current_setting('chronicle.transaction_log_id', true);
    v_session_info_text text;
    v_session_info jsonb;
    v_id bigint;
BEGIN
    IF v_cached IS NOT NULL AND pg_catalog.split_part(v_cached, ':', 1) = v_txid::text THEN
        RETURN pg_catalog.split_part(v_cached, ':', 2)::bigint;
    END IF;

    v_session_info_text := pg_catalog.current_setting('chronicle.session_info', true);
    IF v_session_info_text <> '' THEN
        BEGIN
            v_session_info := v_session_info_text::jsonb;
        EXCEPTION WHEN invalid_text_representation THEN
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

    PERFORM pg_catalog.set_config('chronicle.transaction_log_id', v_txid::text || ':' || v_id::text, false);
    RETURN v_id;
END
$function$;

COMMENT ON FUNCTION chronicle.log_transaction() IS
    'Internal, for the capture triggers: this transaction''s chronicle.transaction_log id, logging the transaction on first use.';

-- ==== event triggers (src/sql/event_triggers.sql)
-- Event triggers, recreated by every install and upgrade script (none yet).

-- ==== grants (src/sql/grants.sql)
-- Privileges, re-emitted by every install and upgrade script.
GRANT EXECUTE ON FUNCTION chronicle.version() TO PUBLIC;

-- Logs are written only by the extension's SECURITY DEFINER functions.
REVOKE ALL ON FUNCTION chronicle.log_transaction() FROM PUBLIC;
REVOKE ALL ON TABLE chronicle.transaction_log FROM PUBLIC;
