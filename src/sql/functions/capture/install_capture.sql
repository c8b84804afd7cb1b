-- (Re)creates the capture trigger function of an audited table and its triggers on the table
-- and, for a partitioned table, on every partition: a statement fires the statement-level
-- triggers of the relation it names only, so each relation a statement can target needs them.
CREATE OR REPLACE FUNCTION chronicle.install_capture(table_id bigint, relation regclass)
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
CREATE OR REPLACE FUNCTION chronicle.remove_capture(table_id bigint, relation regclass)
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
