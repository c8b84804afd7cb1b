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
CREATE OR REPLACE FUNCTION chronicle.log_transaction()
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
