-- The differences between the logged current columns of an audited table and its catalog, one row
-- per column that was added, dropped or changed; columns are matched by attribute number, which
-- survives renames and type changes.
CREATE OR REPLACE FUNCTION chronicle.ddl_column_changes(table_id integer, relation regclass)
RETURNS TABLE (version_id bigint, attnum smallint, old_name name, new_name name, old_type text, new_type text,
               old_default text, new_default text, old_not_null boolean, new_not_null boolean,
               old_generated text, new_generated text, old_identity text, new_identity text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
-- the arguments are named like catalog columns: bare names mean the arguments
#variable_conflict use_variable
BEGIN
    -- PL/pgSQL, so that the plan is kept for the session (a DDL statement runs it several times)
    RETURN QUERY
    SELECT l.id, coalesce(l.ordinal_position, a.attnum), l.column_name, a.attname, l.data_type, a.data_type,
           l.column_default, a.column_default, l.not_null, a.attnotnull, l.generated, a.generated, l.identity, a.identity
    FROM (SELECT c.* FROM chronicle.audit_column_log AS c
          WHERE c.table_id = ddl_column_changes.table_id AND c.valid_until IS NULL) AS l
    FULL JOIN (SELECT a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod) AS data_type,
                      pg_catalog.pg_get_expr(d.adbin, d.adrelid) AS column_default, a.attnotnull,
                      CASE a.attgenerated WHEN 's' THEN 'STORED' WHEN 'v' THEN 'VIRTUAL' END AS generated,
                      CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END AS identity
               FROM pg_catalog.pg_attribute AS a
               LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
               WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped) AS a
      ON a.attnum = l.ordinal_position
    WHERE l.id IS NULL OR a.attnum IS NULL
       OR (l.column_name, l.data_type, l.column_default, l.not_null, l.generated, l.identity)
          IS DISTINCT FROM (a.attname, a.data_type, a.column_default, a.attnotnull, a.generated, a.identity);
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_column_changes(integer, regclass) IS
    'Internal, for DDL capture: the columns of an audited table whose catalog entry differs from their logged current version.';

-- The DDL event of one column whose values a statement destroyed, with the values its pre-image
-- logged (none without a pre-image). A pre-image of that column alone becomes the event itself,
-- so its rows are written once; one of several columns lends its rows to one event per column.
CREATE OR REPLACE FUNCTION chronicle.ddl_event_from_pre_image(
    table_id integer, operation text, ddl jsonb, pre_image bigint, column_name name)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
#variable_conflict use_variable
DECLARE
    v_event bigint;
BEGIN
    IF pre_image IS NOT NULL AND (SELECT e.ddl->'columns' FROM chronicle.table_event_log AS e WHERE e.id = pre_image)
                                 = pg_catalog.jsonb_build_array(column_name) THEN
        UPDATE chronicle.table_event_log AS e
        SET operation = ddl_event_from_pre_image.operation::chronicle.event_operation, ddl = ddl_event_from_pre_image.ddl
        WHERE e.id = pre_image;
        RETURN pre_image;
    END IF;
    v_event := chronicle.ddl_log_event(table_id, operation, ddl);
    IF pre_image IS NOT NULL THEN
        INSERT INTO chronicle.row_log (event_id, table_id, row_key, old_data, new_data)
        SELECT v_event, r.table_id, r.row_key, pg_catalog.jsonb_build_object(column_name, r.old_data->column_name), NULL
        FROM chronicle.row_log AS r
        WHERE r.event_id = pre_image;
    END IF;
    RETURN v_event;
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_event_from_pre_image(integer, text, jsonb, bigint, name) IS
    'Internal, for DDL capture: the DDL event of a column whose values a statement destroyed, made from the statement''s pre-image.';

-- Brings the logged structure of one audited table up to date with its catalog after a DDL
-- statement: one DDL event per change, new table and column versions, and the capture function
-- regenerated for the new shape. Values a change destroyed come from the statement's pre-image
-- (ddl_command_start); a change that destroyed logged values without one is refused.
--
-- Events of one statement are written so that undoing them newest first is right: drops, then
-- type changes, renames, additions, then the changes that move no data. command_tag is NULL when
-- no statement is being captured (sync_table_structure).
CREATE OR REPLACE FUNCTION chronicle.ddl_sync_table(table_id integer, relation regclass, command_tag text)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
AS $function$
-- the arguments are named like catalog columns: bare names mean the arguments
#variable_conflict use_variable
DECLARE
    v_version chronicle.audit_table_log;
    v_schema name;
    v_name name;
    v_key name[];
    v_excluded name[];
    v_transaction_id bigint;
    v_change record;
    v_part record;
    v_event bigint;
    v_first_event bigint;
    v_pre_image bigint;
    v_key_object text;
    v_message text;
    v_state text;
    v_mismatch boolean;
    v_old_key smallint[];
    v_new_key smallint[];
    v_function oid := pg_catalog.to_regprocedure(pg_catalog.format('chronicle.%I()', 'capture_' || table_id));
    v_trigger name;
    v_pre_imaged name[];  -- columns this statement logged before it ran, still there under the same type
    v_rewritten boolean;
    v_ddl jsonb;
BEGIN
    SELECT * INTO STRICT v_version FROM chronicle.audit_table_log AS t
    WHERE t.table_id = ddl_sync_table.table_id AND t.valid_until IS NULL;
    SELECT n.nspname, c.relname INTO STRICT v_schema, v_name
    FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.oid = relation;
    BEGIN
        v_key := chronicle.audit_key_columns(relation);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT, v_state = RETURNED_SQLSTATE;
        RAISE EXCEPTION 'audited table %.% would lose its audit: %', pg_catalog.quote_ident(v_schema), pg_catalog.quote_ident(v_name), v_message
            USING ERRCODE = v_state,
                  HINT = 'An audited table needs its row key (a primary key, or a unique key on NOT NULL columns) at all times: '
                         'add the new key in the same ALTER TABLE statement that drops the old one, or stop auditing the table first with chronicle.drop_table_audit.';
    END;
    -- excluded columns follow renames and drops (matched by attribute number)
    SELECT coalesce(pg_catalog.array_agg(a.attname ORDER BY a.attname), '{}') INTO v_excluded
    FROM chronicle.audit_column_log AS c
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = relation AND a.attnum = c.ordinal_position AND NOT a.attisdropped
    WHERE c.table_id = ddl_sync_table.table_id AND c.valid_until IS NULL AND c.column_name = ANY (v_version.excluded_columns);

    -- ALTER COLUMN ... TYPE to the same type with USING rewrites values the catalog does not show:
    -- every column logged by the statement's pre-image is compared with its values now.
    SELECT coalesce(pg_catalog.array_agg(DISTINCT c.name), '{}') INTO v_pre_imaged
    FROM chronicle.transaction_log AS x
    JOIN chronicle.table_event_log AS e ON e.transaction_id = x.id
    CROSS JOIN LATERAL pg_catalog.jsonb_array_elements_text(e.ddl->'columns') AS c(name)
    WHERE x.txid = pg_catalog.pg_current_xact_id() AND x.started_at = pg_catalog.transaction_timestamp()
      AND e.table_id = ddl_sync_table.table_id AND e.operation = 'DDL PRE-IMAGE'
      -- (columns dropped, retyped or given a new stored expression are logged as such below)
      AND c.name NOT IN (SELECT ch.old_name FROM chronicle.ddl_column_changes(table_id, relation) AS ch
                         WHERE ch.version_id IS NOT NULL
                           AND (ch.new_name IS NULL OR ch.old_type <> ch.new_type
                                OR (ch.old_generated = 'STORED' AND ch.new_generated = 'STORED'
                                    AND ch.old_default IS DISTINCT FROM ch.new_default)))
      AND EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
                  WHERE a.attrelid = relation AND a.attname = c.name AND a.attnum > 0 AND NOT a.attisdropped);

    IF pg_catalog.cardinality(v_pre_imaged) = 0
       AND NOT EXISTS (SELECT FROM chronicle.ddl_column_changes(table_id, relation))
       AND (v_schema, v_name, v_key, v_excluded)
           = (v_version.schema_name, v_version.table_name, v_version.key_columns, v_version.excluded_columns)
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_partition_tree(relation) AS p
                       WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS t
                                         WHERE t.tgrelid = p.relid AND t.tgname = 'chronicle_capture_insert' AND t.tgfoid = v_function))
       AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS t
                       WHERE t.tgfoid = v_function AND t.tgname = 'chronicle_capture_insert' AND t.tgrelid <> relation::oid
                         AND t.tgrelid NOT IN (SELECT p.relid FROM pg_catalog.pg_partition_tree(relation) AS p)) THEN
        -- Nothing to record. sync_table_structure still generates again a capture function that
        -- an earlier version of chronicle wrote (ALTER EXTENSION UPDATE cannot replace functions
        -- the extension does not own).
        IF command_tag IS NULL
           AND (SELECT p.prosrc FROM pg_catalog.pg_proc AS p WHERE p.oid = v_function)
               IS DISTINCT FROM chronicle.capture_function_source(table_id, relation) THEN
            PERFORM chronicle.install_capture(table_id, relation);
        END IF;
        RETURN;
    END IF;

    v_transaction_id := chronicle.log_transaction();
    v_key_object := chronicle.capture_key_expression(relation, v_key, 't');

    -- Columns whose values went: dropped ones, retyped ones (ALTER TABLE ... TYPE; a type renamed by
    -- ALTER TYPE keeps the values), and stored generated ones whose expression changed.
    FOR v_change IN
        SELECT ch.*,
               CASE WHEN ch.new_name IS NULL THEN 'DROP COLUMN'
                    WHEN ch.old_type <> ch.new_type THEN 'ALTER COLUMN TYPE'
                    ELSE 'ALTER COLUMN EXPRESSION' END AS operation,
               (v_version.log_old_data AND ch.old_name <> ALL (v_version.excluded_columns)
                AND ch.old_generated IS DISTINCT FROM 'VIRTUAL'
                AND (ch.new_name IS NULL OR command_tag = 'ALTER TABLE' OR command_tag IS NULL)) AS logged_values
        FROM chronicle.ddl_column_changes(table_id, relation) AS ch
        WHERE ch.version_id IS NOT NULL
          AND (ch.new_name IS NULL
               OR ch.old_type <> ch.new_type
               OR (ch.old_generated = 'STORED' AND ch.new_generated = 'STORED' AND ch.old_default IS DISTINCT FROM ch.new_default))
        ORDER BY (ch.new_name IS NOT NULL), ch.attnum
    LOOP
        v_pre_image := NULL;
        -- (without a statement, sync_table_structure records a change DDL capture did not see: its
        -- values are gone, and the event says so)
        IF v_change.logged_values AND command_tag IS NOT NULL THEN
            SELECT e.id INTO v_pre_image FROM chronicle.table_event_log AS e
            WHERE e.transaction_id = v_transaction_id AND e.table_id = ddl_sync_table.table_id
              AND e.operation = 'DDL PRE-IMAGE' AND e.ddl->'columns' ? v_change.old_name
            ORDER BY e.id DESC LIMIT 1;
            IF v_pre_image IS NULL THEN
                RAISE EXCEPTION 'cannot % % of audited table %.% here: its values were not logged before the change',
                                pg_catalog.lower(v_change.operation), pg_catalog.quote_ident(v_change.old_name),
                                pg_catalog.quote_ident(v_schema), pg_catalog.quote_ident(v_name)
                    USING ERRCODE = '0A000',
                          HINT = 'Run ALTER TABLE naming the table and the column in the statement text (not through a cascade or dynamic SQL), '
                                 'or exclude the column from the audit first.';
            END IF;
            -- the logged values must still name the rows by their key: a key that changed with them would not
            EXECUTE pg_catalog.format(
                'SELECT (SELECT pg_catalog.count(*) FROM chronicle.row_log AS r WHERE r.event_id = $1) <> (SELECT pg_catalog.count(*) FROM %1$s)
                     OR EXISTS (SELECT r.row_key FROM chronicle.row_log AS r WHERE r.event_id = $1
                                EXCEPT SELECT %2$s FROM %1$s AS t)',
                relation, v_key_object)
            INTO v_mismatch USING v_pre_image;
            IF v_mismatch THEN
                RAISE EXCEPTION 'cannot % % of audited table %.% in this statement: the row keys change with it',
                                pg_catalog.lower(v_change.operation), pg_catalog.quote_ident(v_change.old_name),
                                pg_catalog.quote_ident(v_schema), pg_catalog.quote_ident(v_name)
                    USING ERRCODE = '0A000',
                          HINT = 'Change the row key in a statement of its own first. A key column can only change to a type whose values are logged alike (e.g. integer to bigint).';
            END IF;
        END IF;
        v_ddl := CASE WHEN v_change.new_name IS NULL
                      THEN pg_catalog.jsonb_build_object('column', v_change.old_name, 'attnum', v_change.attnum, 'data_type', v_change.old_type)
                      WHEN v_change.operation = 'ALTER COLUMN TYPE'
                      THEN pg_catalog.jsonb_build_object('column', v_change.old_name, 'attnum', v_change.attnum,
                                                         'old_type', v_change.old_type, 'new_type', v_change.new_type)
                      ELSE pg_catalog.jsonb_build_object('column', v_change.old_name, 'attnum', v_change.attnum,
                                                         'old_expression', v_change.old_default, 'new_expression', v_change.new_default) END;
        IF v_change.logged_values AND command_tag IS NULL THEN
            v_ddl := v_ddl || '{"values_logged": false}';
        END IF;
        v_event := chronicle.ddl_event_from_pre_image(table_id, v_change.operation, v_ddl, v_pre_image, v_change.old_name);
        v_first_event := coalesce(v_first_event, v_event);
    END LOOP;

    FOR v_change IN
        SELECT a.attname, a.attnum, a.atttypid, pg_catalog.format_type(a.atttypid, a.atttypmod) AS data_type,
               (SELECT e.id FROM chronicle.table_event_log AS e
                WHERE e.transaction_id = v_transaction_id AND e.table_id = ddl_sync_table.table_id
                  AND e.operation = 'DDL PRE-IMAGE' AND e.ddl->'columns' ? a.attname
                ORDER BY e.id DESC LIMIT 1) AS pre_image
        FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid = relation AND a.attname = ANY (v_pre_imaged) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
    LOOP
        -- rows are paired by the key the pre-image logged them under (the key before the statement)
        EXECUTE pg_catalog.format(
            'SELECT EXISTS (SELECT FROM chronicle.row_log AS r LEFT JOIN %1$s AS t ON %2$s = r.row_key
                            WHERE r.event_id = $1 AND (t.* IS NULL OR (r.old_data->%3$L)::text IS DISTINCT FROM (%4$s)::text))',
            relation,
            chronicle.capture_key_expression(relation, v_version.key_columns, 't'),
            v_change.attname,
            chronicle.capture_value_expression(v_change.atttypid, pg_catalog.format('t.%I', v_change.attname)))
        INTO v_rewritten USING v_change.pre_image;
        CONTINUE WHEN NOT v_rewritten;
        IF v_key <> v_version.key_columns THEN
            RAISE EXCEPTION 'cannot rewrite column % of audited table %.% in this statement: the row keys change with it',
                            pg_catalog.quote_ident(v_change.attname), pg_catalog.quote_ident(v_schema), pg_catalog.quote_ident(v_name)
                USING ERRCODE = '0A000',
                      HINT = 'Change the row key in a statement of its own first.';
        END IF;
        v_event := chronicle.ddl_event_from_pre_image(table_id, 'ALTER COLUMN TYPE',
            pg_catalog.jsonb_build_object('column', v_change.attname, 'attnum', v_change.attnum,
                                          'old_type', v_change.data_type, 'new_type', v_change.data_type),
            v_change.pre_image, v_change.attname);
        v_first_event := coalesce(v_first_event, v_event);
    END LOOP;

    FOR v_change IN
        SELECT ch.* FROM chronicle.ddl_column_changes(table_id, relation) AS ch
        WHERE ch.version_id IS NOT NULL AND ch.new_name IS NOT NULL AND ch.old_name <> ch.new_name
        ORDER BY ch.attnum
    LOOP
        v_event := chronicle.ddl_log_event(table_id, 'RENAME COLUMN',
            pg_catalog.jsonb_build_object('attnum', v_change.attnum, 'old_name', v_change.old_name, 'new_name', v_change.new_name));
        v_first_event := coalesce(v_first_event, v_event);
    END LOOP;

    FOR v_change IN
        SELECT ch.* FROM chronicle.ddl_column_changes(table_id, relation) AS ch
        WHERE ch.version_id IS NULL
        ORDER BY ch.attnum
    LOOP
        v_event := chronicle.ddl_log_event(table_id, 'ADD COLUMN',
            pg_catalog.jsonb_build_object('column', v_change.new_name, 'attnum', v_change.attnum, 'data_type', v_change.new_type,
                                          'default', v_change.new_default, 'not_null', v_change.new_not_null,
                                          'generated', v_change.new_generated, 'identity', v_change.new_identity));
        v_first_event := coalesce(v_first_event, v_event);
    END LOOP;

    -- Changes that move no data.
    FOR v_change IN
        SELECT ch.*, x.operation, x.ddl
        FROM chronicle.ddl_column_changes(table_id, relation) AS ch
        CROSS JOIN LATERAL (VALUES
            (1, 'ALTER COLUMN DEFAULT',
             ch.old_generated IS NULL AND ch.new_generated IS NULL AND ch.old_default IS DISTINCT FROM ch.new_default,
             pg_catalog.jsonb_build_object('old_default', ch.old_default, 'new_default', ch.new_default)),
            (2, 'ALTER COLUMN NOT NULL', ch.old_not_null IS DISTINCT FROM ch.new_not_null,
             pg_catalog.jsonb_build_object('old_not_null', ch.old_not_null, 'new_not_null', ch.new_not_null)),
            (3, 'ALTER COLUMN IDENTITY', ch.old_identity IS DISTINCT FROM ch.new_identity,
             pg_catalog.jsonb_build_object('old_identity', ch.old_identity, 'new_identity', ch.new_identity)),
            (4, 'ALTER COLUMN EXPRESSION', ch.old_generated IS DISTINCT FROM ch.new_generated,
             pg_catalog.jsonb_build_object('old_generated', ch.old_generated, 'new_generated', ch.new_generated,
                                           'old_expression', ch.old_default, 'new_expression', ch.new_default))
        ) AS x(ord, operation, applies, ddl)
        WHERE ch.version_id IS NOT NULL AND ch.new_name IS NOT NULL AND x.applies
        ORDER BY ch.attnum, x.ord
    LOOP
        v_event := chronicle.ddl_log_event(table_id, v_change.operation,
            pg_catalog.jsonb_build_object('column', v_change.new_name, 'attnum', v_change.attnum) || v_change.ddl);
        v_first_event := coalesce(v_first_event, v_event);
    END LOOP;

    -- The table: schema, name, key, excluded columns.
    SELECT pg_catalog.array_agg(c.ordinal_position ORDER BY k.ord) INTO v_old_key
    FROM pg_catalog.unnest(v_version.key_columns) WITH ORDINALITY AS k(name, ord)
    JOIN chronicle.audit_column_log AS c
      ON c.table_id = ddl_sync_table.table_id AND c.valid_until IS NULL AND c.column_name = k.name;
    SELECT pg_catalog.array_agg(a.attnum ORDER BY k.ord) INTO v_new_key
    FROM pg_catalog.unnest(v_key) WITH ORDINALITY AS k(name, ord)
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = relation AND a.attname = k.name;
    IF v_schema <> v_version.schema_name THEN
        v_event := chronicle.ddl_log_event(table_id, 'SET SCHEMA',
            pg_catalog.jsonb_build_object('old_schema', v_version.schema_name, 'new_schema', v_schema));
        v_first_event := coalesce(v_first_event, v_event);
    END IF;
    IF v_name <> v_version.table_name THEN
        v_event := chronicle.ddl_log_event(table_id, 'RENAME TABLE',
            pg_catalog.jsonb_build_object('old_name', v_version.table_name, 'new_name', v_name));
        v_first_event := coalesce(v_first_event, v_event);
    END IF;
    IF v_old_key IS DISTINCT FROM v_new_key THEN
        v_event := chronicle.ddl_log_event(table_id, 'ALTER KEY',
            pg_catalog.jsonb_build_object('old_key', v_version.key_columns, 'new_key', v_key));
        v_first_event := coalesce(v_first_event, v_event);
    END IF;

    -- Partitions created or attached: their rows joined the table. Partitions detached: theirs left it.
    FOR v_part IN
        SELECT p.relid::pg_catalog.regclass AS relation, p.isleaf,
               pg_catalog.format('%I.%I', n.nspname, c.relname) AS name,
               EXISTS (SELECT FROM pg_catalog.pg_trigger AS t
                       WHERE t.tgrelid = p.relid AND t.tgname = 'chronicle_capture_insert') AS captured
        FROM pg_catalog.pg_partition_tree(relation) AS p
        JOIN pg_catalog.pg_class AS c ON c.oid = p.relid
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        WHERE p.relid <> relation::oid
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_trigger AS t
                          WHERE t.tgrelid = p.relid AND t.tgname = 'chronicle_capture_insert' AND t.tgfoid = v_function)
        ORDER BY p.level, p.relid
    LOOP
        IF v_part.captured THEN
            RAISE EXCEPTION 'cannot attach audited table % to audited table %.%', v_part.relation,
                            pg_catalog.quote_ident(v_schema), pg_catalog.quote_ident(v_name)
                USING ERRCODE = '0A000',
                      HINT = 'Stop auditing it first with chronicle.drop_table_audit; its rows are then logged as they join the table.';
        END IF;
        IF v_part.isleaf THEN
            v_event := chronicle.ddl_log_rows(table_id, v_part.relation, true, 'ATTACH PARTITION',
                                              pg_catalog.jsonb_build_object('partition', v_part.name), NULL, true);
            v_first_event := coalesce(v_first_event, v_event);
        END IF;
    END LOOP;
    FOR v_part IN
        -- detached: relations that still carry this table's triggers but are no longer in its tree
        SELECT c.oid::pg_catalog.regclass AS relation, c.relkind, pg_catalog.format('%I.%I', n.nspname, c.relname) AS name
        FROM pg_catalog.pg_trigger AS t
        JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        WHERE t.tgfoid = v_function AND t.tgname = 'chronicle_capture_insert' AND t.tgrelid <> relation::oid
          AND t.tgrelid NOT IN (SELECT p.relid FROM pg_catalog.pg_partition_tree(relation) AS p)
        ORDER BY c.oid
    LOOP
        IF v_part.relkind = 'r' THEN
            v_event := chronicle.ddl_log_rows(table_id, v_part.relation, true, 'DETACH PARTITION',
                                              pg_catalog.jsonb_build_object('partition', v_part.name), NULL, false);
            v_first_event := coalesce(v_first_event, v_event);
        END IF;
        -- every capture trigger (install_capture's names), not only those calling the capture function
        FOR v_trigger IN
            SELECT t.tgname FROM pg_catalog.pg_trigger AS t
            WHERE t.tgrelid = v_part.relation AND t.tgname LIKE 'chronicle\_capture\_%' AND NOT t.tgisinternal
        LOOP
            EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', v_trigger, v_part.relation);
        END LOOP;
    END LOOP;

    -- New versions: columns whose catalog entry changed, and the table if its name or key did. The
    -- statement's first DDL event divides them: earlier events belong to the old versions, it and
    -- later ones to the new.
    WITH changes AS (
        SELECT ch.* FROM chronicle.ddl_column_changes(table_id, relation) AS ch
    ), closed AS (
        UPDATE chronicle.audit_column_log AS c
        SET valid_until = v_transaction_id, valid_until_event = v_first_event
        FROM changes AS ch
        WHERE c.id = ch.version_id
    )
    INSERT INTO chronicle.audit_column_log
        (table_id, column_name, ordinal_position, data_type, column_default, not_null, generated, identity, valid_from, valid_from_event)
    SELECT ddl_sync_table.table_id, ch.new_name, ch.attnum, ch.new_type, ch.new_default, ch.new_not_null, ch.new_generated, ch.new_identity,
           v_transaction_id, v_first_event
    FROM changes AS ch
    WHERE ch.new_name IS NOT NULL;

    IF (v_schema, v_name, v_key, v_excluded)
       <> (v_version.schema_name, v_version.table_name, v_version.key_columns, v_version.excluded_columns) THEN
        UPDATE chronicle.audit_table_log AS t
        SET valid_until = v_transaction_id, valid_until_event = v_first_event
        WHERE t.id = v_version.id;
        INSERT INTO chronicle.audit_table_log
            (table_id, schema_name, table_name, key_columns, log_old_data, log_new_data, excluded_columns,
             valid_from, valid_from_event)
        VALUES (table_id, v_schema, v_name, v_key, v_version.log_old_data, v_version.log_new_data, v_excluded,
                v_transaction_id, v_first_event);
    END IF;

    PERFORM chronicle.install_capture(table_id, relation);
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_sync_table(integer, regclass, text) IS
    'Internal, for DDL capture: logs the structure changes of one audited table and regenerates its capture function.';
