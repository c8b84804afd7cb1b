-- ddl_command_start: logs what a DDL statement may destroy before it runs, since the values of a
-- dropped or retyped column and the rows of a dropped table are gone when the statement ends.
-- Which audited tables and columns a statement may touch is read from the identifiers of its text
-- (a hint: it may name more, never fewer, when it names them literally); the candidates are
-- locked and their values logged as a transient 'DDL PRE-IMAGE' event. When the statement ends,
-- the catalog and pg_event_trigger_dropped_objects() decide: pre-images of what really went
-- become the DDL events, the others are deleted, and a drop or retype of audited data without a
-- pre-image is refused (ddl_sql_drop, ddl_command_end).
CREATE OR REPLACE FUNCTION chronicle.ddl_command_start()
RETURNS event_trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_words text[];
    v_names text[];
    v_target record;
BEGIN
    v_words := chronicle.ddl_query_identifiers(pg_catalog.current_query());
    v_names := chronicle.ddl_query_relation_names(pg_catalog.current_query());
    -- An ALTER TABLE that may name one of chronicle's own tables: the structure they have now, for
    -- ddl_command_end to compare (a fixed setting name, local to the transaction).
    -- (Not for the ALTER TABLEs a revert runs, whose query text, the revert's call, names
    -- chronicle: they alter audited tables only. A role that sets chronicle.reverting itself only
    -- gets its own ALTER TABLE of chronicle's tables refused, as ddl_command_end then finds no
    -- structure to compare with.)
    IF TG_TAG = 'ALTER TABLE' AND pg_catalog.current_setting('chronicle.reverting', true) IS DISTINCT FROM 'on'
       AND v_words && ARRAY['chronicle', 'transaction_log', 'table_event_log', 'row_log', 'audit_table_log',
                            'audit_column_log', 'auto_audit_schema'] THEN
        PERFORM pg_catalog.set_config('chronicle.protected_structure', chronicle.ddl_protected_structure(), true);
    END IF;
    IF NOT EXISTS (SELECT FROM chronicle.audit_table_log AS t WHERE t.valid_until IS NULL) THEN
        RETURN;
    END IF;

    -- DROP EXTENSION that may name chronicle: the capture triggers and functions of the audited
    -- tables go first, so the extension drops without CASCADE and leaves no trigger behind that
    -- would call its functions. If chronicle outlives the statement (the text named it otherwise,
    -- or the drop failed and a savepoint kept the transaction), ddl_command_end puts them back.
    IF TG_TAG = 'DROP EXTENSION' THEN
        IF 'chronicle' = ANY (v_words) THEN
            PERFORM chronicle.remove_capture(r.table_id, r.relation)
            FROM chronicle.ddl_audited_relations() AS r WHERE r.is_table;
            PERFORM pg_catalog.set_config('chronicle.captures_removed', 'on', true);
        END IF;
        RETURN;
    END IF;

    IF TG_TAG = 'ALTER TABLE' THEN
        IF v_words @> ARRAY['detach', 'concurrently'] THEN
            IF EXISTS (SELECT FROM chronicle.ddl_named_relations(v_names, false) AS r WHERE r.is_table) THEN
                RAISE EXCEPTION 'chronicle cannot capture DETACH PARTITION ... CONCURRENTLY of an audited table'
                    USING ERRCODE = '0A000',
                          HINT = 'Run ALTER TABLE ... DETACH PARTITION without CONCURRENTLY: the rows that leave the table are then logged in the same transaction.';
            END IF;
        END IF;
        -- Only DROP COLUMN, ALTER COLUMN ... TYPE and SET EXPRESSION destroy values.
        IF NOT v_words && ARRAY['drop', 'type', 'expression'] THEN
            RETURN;
        END IF;
        FOR v_target IN
            SELECT r.table_id, r.relation, n.nspname, c.relname,
                   pg_catalog.array_agg(a.attname ORDER BY a.attnum) AS columns
            FROM chronicle.ddl_named_relations(v_names, false) AS r
            JOIN chronicle.audit_table_log AS v ON v.table_id = r.table_id AND v.valid_until IS NULL
            JOIN pg_catalog.pg_class AS c ON c.oid = r.relation
            JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
            JOIN pg_catalog.pg_attribute AS a ON a.attrelid = r.relation AND a.attnum > 0 AND NOT a.attisdropped
            WHERE r.is_table AND v.log_old_data AND a.attname = ANY (v_words)
              -- only a member of the owner may alter the table: nobody else gets it locked and read
              -- by naming it (this function runs as chronicle's owner; session_user is who asks)
              AND pg_catalog.pg_has_role(session_user, c.relowner, 'MEMBER')
              AND a.attname <> ALL (v.excluded_columns) AND a.attgenerated <> 'v'
            GROUP BY r.table_id, r.relation, n.nspname, c.relname
            ORDER BY r.relation::oid
        LOOP
            EXECUTE pg_catalog.format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', v_target.relation);
            PERFORM chronicle.ddl_log_rows(v_target.table_id, v_target.relation, false, 'DDL PRE-IMAGE',
                pg_catalog.jsonb_build_object('schema', v_target.nspname, 'table', v_target.relname,
                                              'columns', pg_catalog.to_jsonb(v_target.columns)),
                v_target.columns, false);
        END LOOP;
        RETURN;
    END IF;

    IF TG_TAG = 'DROP OWNED' THEN
        IF EXISTS (SELECT FROM chronicle.ddl_audited_relations() AS r
                   JOIN pg_catalog.pg_class AS c ON c.oid = r.relation
                   JOIN pg_catalog.pg_roles AS o ON o.oid = c.relowner
                   WHERE o.rolname = ANY (v_words)
                      OR (o.rolname = current_user AND v_words && ARRAY['current_user', 'current_role'])
                      OR (o.rolname = session_user AND 'session_user' = ANY (v_words))) THEN
            RAISE EXCEPTION 'DROP OWNED would drop audited tables or partitions without logging their rows'
                USING ERRCODE = '0A000',
                      HINT = 'Drop the audited tables first with DROP TABLE (their rows are logged), stop auditing them with chronicle.drop_table_audit, or use REASSIGN OWNED.';
        END IF;
        RETURN;
    END IF;

    -- chronicle's restore drops the tables it restored earlier, never audited ones (it refuses a
    -- target schema holding any): no pre-image. Setting this anywhere else only gets a DROP of an
    -- audited table refused (ddl_sql_drop), never unlogged.
    IF TG_TAG = 'DROP TABLE' AND pg_catalog.current_setting('chronicle.ddl_restore_drop', true) = 'on' THEN
        RETURN;
    END IF;

    -- DROP TABLE, DROP SCHEMA: the whole rows of each audited table named (by its own name,
    -- qualified or not, or by its schema's), and of each leaf partition of an audited table
    -- reached through a named partition (or partitioned partition), when its table is not named
    -- itself.
    FOR v_target IN
        WITH named AS (
            -- only relations the asking role may drop (as a member of their owner, or of their
            -- schema's owner for DROP SCHEMA): nobody else gets a table locked and read by naming it
            SELECT r.* FROM chronicle.ddl_named_relations(v_names, TG_TAG = 'DROP SCHEMA') AS r
            JOIN pg_catalog.pg_class AS c ON c.oid = r.relation
            JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
            WHERE pg_catalog.pg_has_role(session_user, c.relowner, 'MEMBER')
               OR (TG_TAG = 'DROP SCHEMA' AND pg_catalog.pg_has_role(session_user, n.nspowner, 'MEMBER'))
        ), targets AS (
            SELECT r.table_id, r.relation, false AS partition FROM named AS r WHERE r.is_table
            UNION
            SELECT r.table_id, p.relid::pg_catalog.regclass, true
            FROM named AS r
            CROSS JOIN LATERAL pg_catalog.pg_partition_tree(r.relation) AS p
            WHERE NOT r.is_table AND p.isleaf
              AND r.table_id NOT IN (SELECT t.table_id FROM named AS t WHERE t.is_table)
        )
        SELECT t.table_id, t.relation, n.nspname, c.relname, t.partition,
               ARRAY(SELECT pg_catalog.format('%I.%I', pn.nspname, pc.relname)
                     FROM pg_catalog.pg_partition_tree(t.relation) AS p
                     JOIN pg_catalog.pg_class AS pc ON pc.oid = p.relid
                     JOIN pg_catalog.pg_namespace AS pn ON pn.oid = pc.relnamespace
                     WHERE NOT t.partition AND p.relid <> t.relation::oid) AS partitions
        FROM targets AS t
        JOIN pg_catalog.pg_class AS c ON c.oid = t.relation
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        ORDER BY t.relation::oid
    LOOP
        EXECUTE pg_catalog.format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', v_target.relation);
        PERFORM chronicle.ddl_log_rows(v_target.table_id, v_target.relation, v_target.partition, 'DDL PRE-IMAGE',
            pg_catalog.jsonb_build_object('schema', v_target.nspname, 'table', v_target.relname,
                                          'relation', pg_catalog.format('%I.%I', v_target.nspname, v_target.relname),
                                          'partition', v_target.partition)
            || CASE WHEN v_target.partition THEN '{}' ELSE pg_catalog.jsonb_build_object('partitions', v_target.partitions) END,
            NULL, false);
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_command_start() IS
    'Internal, event trigger: logs the values a DDL statement may destroy on audited tables before it runs.';
