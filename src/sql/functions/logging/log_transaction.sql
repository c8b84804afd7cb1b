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
