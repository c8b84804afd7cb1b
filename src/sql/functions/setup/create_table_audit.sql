-- Starts auditing a table: records its version and columns, generates its capture function and
-- triggers, and optionally logs its current rows as a baseline. Calling it again with the same
-- options changes nothing and says so; with other options it starts a new table version.
CREATE OR REPLACE FUNCTION chronicle.create_table_audit(
    table_name regclass,
    log_old_data boolean DEFAULT true,
    log_new_data boolean DEFAULT false,
    excluded_columns name[] DEFAULT '{}',
    log_baseline boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_key name[] := chronicle.audit_key_columns(table_name);
    v_excluded name[];
    v_unknown name[];
    v_current chronicle.audit_table_log;
    v_transaction_id bigint;
    v_version_id bigint;
    v_table_id bigint;
BEGIN
    IF log_old_data IS NULL OR log_new_data IS NULL OR excluded_columns IS NULL OR log_baseline IS NULL THEN
        RAISE EXCEPTION 'the options of create_table_audit must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT coalesce(pg_catalog.array_agg(DISTINCT e.name ORDER BY e.name), '{}') INTO v_excluded
    FROM pg_catalog.unnest(excluded_columns) AS e(name);

    SELECT pg_catalog.array_agg(e.name ORDER BY e.name) INTO v_unknown
    FROM pg_catalog.unnest(v_excluded) AS e(name)
    WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
                      WHERE a.attrelid = table_name AND a.attname = e.name AND a.attnum > 0 AND NOT a.attisdropped);
    IF v_unknown IS NOT NULL THEN
        RAISE EXCEPTION 'cannot exclude column(s) % of %: no such column', v_unknown, table_name
            USING ERRCODE = '42703';
    END IF;
    IF v_excluded && v_key THEN
        RAISE EXCEPTION 'cannot exclude key column(s) % of %', ARRAY(SELECT pg_catalog.unnest(v_excluded) INTERSECT SELECT pg_catalog.unnest(v_key)), table_name
            USING ERRCODE = '22023', HINT = 'The row key identifies every logged change; it is always logged.';
    END IF;

    -- Writers wait while the triggers are (re)installed, so no statement is half captured.
    EXECUTE pg_catalog.format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', table_name);

    v_current := chronicle.current_table_version(table_name);
    IF v_current.id IS NULL AND EXISTS (
            SELECT FROM pg_catalog.pg_trigger AS t
            WHERE t.tgrelid = table_name AND t.tgname = 'chronicle_capture_insert') THEN
        RAISE EXCEPTION 'table % has chronicle capture triggers but is not audited under this name', table_name
            USING ERRCODE = '55000',
                  HINT = 'It was probably renamed or moved: drop its chronicle_capture_* triggers, or rename it back.';
    END IF;
    IF v_current.id IS NOT NULL
       AND v_current.key_columns = v_key
       AND v_current.log_old_data = log_old_data
       AND v_current.log_new_data = log_new_data
       AND v_current.excluded_columns = v_excluded THEN
        -- Triggers missing from a relation of the table (a partition created since, or a trigger
        -- someone dropped) are installed again; the version and the log stay as they are.
        IF EXISTS (
                SELECT FROM (SELECT table_name AS relid
                             UNION
                             SELECT p.relid FROM pg_catalog.pg_partition_tree(table_name) AS p) AS r
                WHERE (SELECT pg_catalog.count(*) FROM pg_catalog.pg_trigger AS t
                       WHERE t.tgrelid = r.relid
                         AND ((t.tgname IN ('chronicle_capture_insert', 'chronicle_capture_update',
                                            'chronicle_capture_delete', 'chronicle_capture_truncate')
                               AND t.tgfoid = pg_catalog.to_regprocedure(pg_catalog.format('chronicle.%I()', 'capture_' || v_current.table_id)))
                              OR (t.tgname = 'chronicle_capture_start'
                                  AND t.tgfoid = 'chronicle.stamp_statement()'::pg_catalog.regprocedure))) < 5) THEN
            PERFORM chronicle.install_capture(v_current.table_id, table_name);
            RAISE NOTICE 'table % is already audited with these options; its missing capture triggers are installed again', table_name;
        ELSE
            RAISE NOTICE 'table % is already audited with these options; nothing changed', table_name;
        END IF;
        IF log_baseline THEN
            PERFORM chronicle.log_table_baseline(table_name);
        END IF;
        RETURN v_current.table_id;
    END IF;

    v_transaction_id := chronicle.log_transaction();
    v_version_id := pg_catalog.nextval('chronicle.audit_table_log_id_seq');
    v_table_id := coalesce(v_current.table_id, v_version_id);
    IF v_current.id IS NOT NULL THEN
        UPDATE chronicle.audit_table_log AS t SET valid_until = v_transaction_id WHERE t.id = v_current.id;
        RAISE NOTICE 'table % was already audited; its audit options are now changed', table_name;
    END IF;

    INSERT INTO chronicle.audit_table_log
        (id, table_id, schema_name, table_name, key_columns, log_old_data, log_new_data, excluded_columns, valid_from)
    OVERRIDING SYSTEM VALUE
    SELECT v_version_id, v_table_id, n.nspname, c.relname, v_key, log_old_data, log_new_data, v_excluded, v_transaction_id
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.oid = table_name;

    IF v_current.id IS NULL THEN
        INSERT INTO chronicle.audit_column_log
            (table_id, column_name, ordinal_position, data_type, column_default, not_null, generated, identity, valid_from)
        SELECT v_table_id, a.attname, a.attnum, pg_catalog.format_type(a.atttypid, a.atttypmod),
               pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attnotnull,
               CASE a.attgenerated WHEN 's' THEN 'STORED' WHEN 'v' THEN 'VIRTUAL' END,
               CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END,
               v_transaction_id
        FROM pg_catalog.pg_attribute AS a
        LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = table_name AND a.attnum > 0 AND NOT a.attisdropped;
    END IF;

    PERFORM chronicle.install_capture(v_table_id, table_name);
    IF log_baseline THEN
        PERFORM chronicle.log_table_baseline(table_name);
    END IF;
    RETURN v_table_id;
END
$function$;

COMMENT ON FUNCTION chronicle.create_table_audit(regclass, boolean, boolean, name[], boolean) IS
    'Starts auditing a table (options: log old data, log new data, excluded columns, baseline); returns its table id.';
