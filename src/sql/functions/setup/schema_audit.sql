-- Audits every plain and partitioned table of a schema (partitions are covered through their
-- partitioned table), except the named ones. Every table is checked before any is changed.
CREATE OR REPLACE FUNCTION chronicle.create_schema_audit(
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
CREATE OR REPLACE FUNCTION chronicle.drop_schema_audit(schema_name name, keep_log boolean DEFAULT true)
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
