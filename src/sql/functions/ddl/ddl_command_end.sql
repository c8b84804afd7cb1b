-- ddl_command_end: refuses changes to chronicle's own objects, brings the logged structure of
-- every audited table up to date with the catalog (ddl_sync_table), audits new tables of
-- auto-audited schemas, and deletes the statement's pre-images that turned out not to apply.
-- Commands run by extension scripts (CREATE EXTENSION, ALTER EXTENSION ... UPDATE) are left alone.
CREATE OR REPLACE FUNCTION chronicle.ddl_command_end()
RETURNS event_trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_command record;
    v_table record;
    v_transaction_id bigint;
BEGIN
    -- A DROP EXTENSION that did not drop chronicle, after ddl_command_start removed the captures.
    IF TG_TAG = 'DROP EXTENSION' AND pg_catalog.current_setting('chronicle.captures_removed', true) = 'on' THEN
        PERFORM pg_catalog.set_config('chronicle.captures_removed', '', true);
        PERFORM chronicle.install_capture(v.table_id, r.relation)
        FROM chronicle.audit_table_log AS v
        CROSS JOIN LATERAL pg_catalog.to_regclass(pg_catalog.format('%I.%I', v.schema_name, v.table_name)) AS r(relation)
        WHERE v.valid_until IS NULL AND r.relation IS NOT NULL;
    END IF;
    -- chronicle's own tables (and their columns, indexes, constraints, triggers, rules, policies).
    -- Allowed: an ALTER TABLE that leaves their structure as it was (storage parameters such as
    -- autovacuum settings, statistics targets, CLUSTER ON).
    SELECT c.command_tag, c.object_type, c.object_identity INTO v_command
    FROM pg_catalog.pg_event_trigger_ddl_commands() AS c
    -- (no structure taken at the start, e.g. for a statement whose text does not name chronicle,
    -- is no structure left as it was)
    WHERE c.schema_name = 'chronicle' AND NOT c.in_extension
      AND NOT (c.command_tag = 'ALTER TABLE'
               AND pg_catalog.current_setting('chronicle.protected_structure', true) IS NOT DISTINCT FROM chronicle.ddl_protected_structure())
      AND EXISTS (
        SELECT FROM pg_catalog.pg_depend AS d
        JOIN pg_catalog.pg_extension AS x ON x.oid = d.refobjid AND x.extname = 'chronicle'
        WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'e'
          AND d.objid = CASE c.object_type
              WHEN 'index' THEN (SELECT i.indrelid FROM pg_catalog.pg_index AS i WHERE i.indexrelid = c.objid)
              WHEN 'table constraint' THEN (SELECT k.conrelid FROM pg_catalog.pg_constraint AS k WHERE k.oid = c.objid)
              WHEN 'trigger' THEN (SELECT t.tgrelid FROM pg_catalog.pg_trigger AS t WHERE t.oid = c.objid)
              WHEN 'rule' THEN (SELECT r.ev_class FROM pg_catalog.pg_rewrite AS r WHERE r.oid = c.objid)
              WHEN 'policy' THEN (SELECT p.polrelid FROM pg_catalog.pg_policy AS p WHERE p.oid = c.objid)
              ELSE c.objid END)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'cannot run % on % %: it belongs to chronicle', v_command.command_tag, v_command.object_type, v_command.object_identity
            USING ERRCODE = '42501',
                  HINT = 'chronicle''s log tables change only with ALTER EXTENSION chronicle UPDATE; DROP EXTENSION chronicle removes them.';
    END IF;
    IF EXISTS (SELECT FROM pg_catalog.pg_event_trigger_ddl_commands() AS c WHERE c.in_extension) THEN
        RETURN;
    END IF;
    IF TG_TAG = 'CREATE TRIGGER' THEN
        -- Columns are matched by attribute number, which pg_restore renumbers (dropped columns leave
        -- no gap in a restored table). A restore creates the capture triggers after the log's rows:
        -- the current column versions of the table then take the attribute numbers of their names.
        UPDATE chronicle.audit_column_log AS l
        SET ordinal_position = a.attnum
        FROM pg_catalog.pg_event_trigger_ddl_commands() AS x
        JOIN pg_catalog.pg_trigger AS t ON t.oid = x.objid AND t.tgname = 'chronicle_capture_insert'
        JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid AND NOT c.relispartition
        JOIN pg_catalog.pg_proc AS p
          ON p.oid = t.tgfoid AND p.pronamespace = 'chronicle'::pg_catalog.regnamespace AND p.proname ~ '^capture_[0-9]+$'
        JOIN pg_catalog.pg_attribute AS a ON a.attrelid = t.tgrelid AND a.attnum > 0 AND NOT a.attisdropped
        WHERE x.object_type = 'trigger'
          AND l.table_id = pg_catalog.substr(p.proname, 9)::integer AND l.valid_until IS NULL
          AND l.column_name = a.attname AND l.ordinal_position <> a.attnum;
        RETURN;
    END IF;
    IF TG_TAG IN ('CREATE RULE', 'CREATE POLICY', 'ALTER POLICY', 'COMMENT', 'ALTER SEQUENCE') THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT FROM chronicle.audit_table_log AS t WHERE t.valid_until IS NULL)
       AND NOT EXISTS (SELECT FROM chronicle.auto_audit_schema) THEN
        RETURN;
    END IF;
    -- temporary objects are never audited
    IF EXISTS (SELECT FROM pg_catalog.pg_event_trigger_ddl_commands())
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_event_trigger_ddl_commands() AS c
                       WHERE c.schema_name IS NULL OR (c.schema_name <> 'pg_temp' AND c.schema_name NOT LIKE 'pg\_temp\_%')) THEN
        RETURN;
    END IF;

    -- The audited tables this statement may have changed: those its commands name (a table, or one
    -- of its partitions, indexes or constraints) for the commands that report what they change;
    -- every audited table for those that may change one through a dependency (DROP TYPE ...
    -- CASCADE, ALTER TYPE ... RENAME, DROP INDEX, ALTER SCHEMA ... RENAME). A dropped table needs
    -- nothing here: ddl_sql_drop logged it.
    IF TG_TAG IN ('DROP TYPE', 'DROP DOMAIN', 'ALTER TYPE', 'ALTER DOMAIN', 'DROP OWNED', 'DROP SEQUENCE',
                  'DROP EXTENSION', 'DROP COLLATION', 'DROP INDEX', 'ALTER SCHEMA', 'DROP SCHEMA') THEN
        FOR v_table IN
            SELECT r.table_id, r.relation FROM chronicle.ddl_changed_tables() AS r ORDER BY r.table_id
        LOOP
            PERFORM chronicle.ddl_sync_table(v_table.table_id, v_table.relation, TG_TAG);
        END LOOP;
    ELSE
        FOR v_table IN
            -- the relation itself, and its ancestors when it is a partition; audited when it carries
            -- the capture triggers and is no partition
            SELECT DISTINCT v.table_id, c.oid::pg_catalog.regclass AS relation
            FROM pg_catalog.pg_event_trigger_ddl_commands() AS x
            CROSS JOIN LATERAL (SELECT CASE x.object_type
                    WHEN 'index' THEN (SELECT i.indrelid FROM pg_catalog.pg_index AS i WHERE i.indexrelid = x.objid)
                    WHEN 'table constraint' THEN (SELECT k.conrelid FROM pg_catalog.pg_constraint AS k WHERE k.oid = x.objid)
                    ELSE x.objid END AS relid) AS o
            CROSS JOIN LATERAL (SELECT o.relid
                                UNION
                                SELECT a.relid FROM pg_catalog.pg_partition_ancestors(o.relid) AS a) AS r
            JOIN pg_catalog.pg_class AS c ON c.oid = r.relid AND NOT c.relispartition
            JOIN pg_catalog.pg_trigger AS t ON t.tgrelid = c.oid AND t.tgname = 'chronicle_capture_insert'
            JOIN pg_catalog.pg_proc AS p
              ON p.oid = t.tgfoid AND p.pronamespace = 'chronicle'::pg_catalog.regnamespace AND p.proname ~ '^capture_[0-9]+$'
            JOIN chronicle.audit_table_log AS v
              ON v.valid_until IS NULL AND v.table_id = pg_catalog.substr(p.proname, 9)::integer
            WHERE x.object_type IN ('table', 'table column', 'index', 'table constraint')
            ORDER BY v.table_id
        LOOP
            PERFORM chronicle.ddl_sync_table(v_table.table_id, v_table.relation, TG_TAG);
        END LOOP;
    END IF;

    -- Auto-audit: tables created in a schema whose new tables are audited. One created without a
    -- row key (always so after CREATE TABLE AS and SELECT INTO) is pending, and audited by the
    -- statement that gives it one: only pending ones are, so that the ALTER TABLE ... ADD PRIMARY
    -- KEY of a restored dump, which runs before the dump's capture triggers are restored, never
    -- audits a table a second time.
    FOR v_table IN
        SELECT c.oid::pg_catalog.regclass AS relation, c.relname, s.schema_name, s.log_old_data, s.log_new_data,
               pg_catalog.bool_or(x.command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO')) AS created
        FROM pg_catalog.pg_event_trigger_ddl_commands() AS x
        JOIN pg_catalog.pg_class AS c
          ON c.oid = CASE WHEN x.object_type = 'index'
                          THEN (SELECT i.indrelid FROM pg_catalog.pg_index AS i WHERE i.indexrelid = x.objid)
                          ELSE x.objid END
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        JOIN chronicle.auto_audit_schema AS s ON s.schema_name = n.nspname
        WHERE x.object_type IN ('table', 'index')
          AND x.command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO', 'ALTER TABLE', 'CREATE INDEX')
          AND c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence <> 't'
          AND c.relname <> ALL (s.except_tables)
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS t WHERE t.tgrelid = c.oid AND t.tgname = 'chronicle_capture_insert')
        GROUP BY c.oid, c.relname, s.schema_name, s.log_old_data, s.log_new_data, s.pending_tables
        HAVING pg_catalog.bool_or(x.command_tag IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO')) OR c.relname = ANY (s.pending_tables)
        ORDER BY c.oid
    LOOP
        BEGIN
            PERFORM chronicle.audit_key_columns(v_table.relation);
        EXCEPTION WHEN OTHERS THEN
            IF v_table.created THEN
                UPDATE chronicle.auto_audit_schema AS s
                SET pending_tables = s.pending_tables || v_table.relname
                WHERE s.schema_name = v_table.schema_name AND v_table.relname <> ALL (s.pending_tables);
                RAISE NOTICE 'table % is not audited yet: it has no row key', v_table.relation
                    USING HINT = 'Its schema audits new tables: it is audited (with a baseline of its rows) once it has a primary key or a unique key on NOT NULL columns.';
            END IF;
            CONTINUE;
        END;
        UPDATE chronicle.auto_audit_schema AS s
        SET pending_tables = pg_catalog.array_remove(s.pending_tables, v_table.relname)
        WHERE s.schema_name = v_table.schema_name;
        PERFORM chronicle.create_table_audit(v_table.relation, v_table.log_old_data, v_table.log_new_data, '{}', true);
    END LOOP;

    -- Pre-images that did not become DDL events; and the transaction's log row, if nothing else uses it.
    SELECT x.id INTO v_transaction_id FROM chronicle.transaction_log AS x
    WHERE x.txid = pg_catalog.pg_current_xact_id() AND x.started_at = pg_catalog.transaction_timestamp();
    IF v_transaction_id IS NOT NULL THEN
        WITH unused AS (
            DELETE FROM chronicle.table_event_log AS e
            WHERE e.transaction_id = v_transaction_id AND e.operation = 'DDL PRE-IMAGE'
            RETURNING e.id
        )
        DELETE FROM chronicle.row_log AS r WHERE r.event_id IN (SELECT u.id FROM unused AS u);
        DELETE FROM chronicle.transaction_log AS x
        WHERE x.id = v_transaction_id
          AND NOT EXISTS (SELECT FROM chronicle.table_event_log AS e WHERE e.transaction_id = v_transaction_id)
          AND NOT EXISTS (SELECT FROM chronicle.audit_table_log AS t WHERE v_transaction_id IN (t.valid_from, t.valid_until))
          AND NOT EXISTS (SELECT FROM chronicle.audit_column_log AS c WHERE v_transaction_id IN (c.valid_from, c.valid_until))
          -- (a revert's row, made before the DDL it runs)
          AND NOT EXISTS (SELECT FROM chronicle.revert_log AS r WHERE r.revert_transaction_id = v_transaction_id);
    END IF;
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_command_end() IS
    'Internal, event trigger: logs the structure changes of audited tables, audits new tables of auto-audited schemas, protects chronicle''s own objects.';
