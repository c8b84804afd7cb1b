-- Logs the rows an audited table holds now as one BASELINE event, so a forward replay of its
-- history can start from a complete state. Writers wait until the baseline is taken, so it is
-- an exact cut between earlier and later events. Rows are written exactly as the capture
-- functions write them: the same whole-row expression, under the same output settings.
CREATE OR REPLACE FUNCTION chronicle.log_table_baseline(table_name regclass)
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
