-- Marks: named points in time (docs/time-travel.md). A mark keeps the snapshot of the
-- transaction that set it: its cut is exactly the transactions visible in that snapshot, so
-- setting one locks nothing and never waits for writers. To copy tables in the same snapshot
-- (as the tests do), set the mark in a REPEATABLE READ transaction and copy in it.
CREATE OR REPLACE FUNCTION chronicle.set_mark(name text, comment text DEFAULT NULL)
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

CREATE OR REPLACE FUNCTION chronicle.delete_mark(name text)
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
