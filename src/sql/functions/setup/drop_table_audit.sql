-- Stops auditing a table. With keep_log (the default) its log stays queryable and restorable;
-- without it, every log row of the table is deleted too.
CREATE OR REPLACE FUNCTION chronicle.drop_table_audit(table_name regclass, keep_log boolean DEFAULT true)
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
