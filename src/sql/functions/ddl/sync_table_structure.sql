-- Records the structure an audited table has now, for changes DDL capture did not see (it is off
-- where the extension was installed without a superuser, or when its event triggers are
-- disabled): new table and column versions, one DDL event per change, and the capture function
-- generated again, so that writes are logged with the table's shape. Values of columns dropped or
-- retyped meanwhile were not logged: their events say "values_logged": false. With DDL capture
-- on there is nothing to record. Either way, a capture function written by an earlier version of
-- chronicle is generated again (after ALTER EXTENSION UPDATE); otherwise nothing changes.
CREATE OR REPLACE FUNCTION chronicle.sync_table_structure(table_name regclass)
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
