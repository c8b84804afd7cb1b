-- Undo of DDL events for chronicle.revert_transactions (docs/revert.md, "Structure changes").
-- Each DDL event of a reverted transaction is undone by the inverse DDL statement, run so that
-- DDL capture logs it like any other (the revert is itself revertable), with the values the log
-- holds written back by key: a dropped column is added again and refilled, a retyped column gets
-- its old type and its logged values, a dropped table is created again (its columns, defaults,
-- NOT NULL, identity and generated columns, and its row key as primary key), audited again under
-- the same table_id, and refilled. DDL that the log cannot undo is refused before anything runs
-- (chronicle.revert_ddl_refusal).

-- Why a DDL event cannot be undone from the log, or NULL when it can.
CREATE OR REPLACE FUNCTION chronicle.revert_ddl_refusal(operation text, ddl jsonb)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT CASE
        WHEN operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'BASELINE') THEN NULL
        WHEN operation NOT IN ('ADD COLUMN', 'DROP COLUMN', 'RENAME COLUMN', 'ALTER COLUMN TYPE', 'ALTER COLUMN DEFAULT',
                               'ALTER COLUMN NOT NULL', 'ALTER COLUMN IDENTITY', 'RENAME TABLE', 'SET SCHEMA',
                               'DROP TABLE', 'CREATE TABLE')
            THEN pg_catalog.format('%s cannot be undone from the log', operation)
        WHEN (ddl ->> 'values_logged') = 'false'
            THEN pg_catalog.format('%s of column %s was recorded by sync_table_structure without its values', operation, ddl ->> 'column')
        WHEN operation = 'DROP TABLE' AND pg_catalog.jsonb_array_length(coalesce(ddl -> 'partitions', '[]')) > 0
            THEN pg_catalog.format('DROP TABLE of partitioned table %s.%s cannot be undone from the log', ddl ->> 'schema', ddl ->> 'table')
    END
$function$;

COMMENT ON FUNCTION chronicle.revert_ddl_refusal(text, jsonb) IS
    'Internal, for revert: why a DDL event cannot be undone from the log (NULL when it can).';

-- What the revert does to undo an event (the action column of revert_transactions).
CREATE OR REPLACE FUNCTION chronicle.revert_action(operation text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT CASE operation
        WHEN 'INSERT' THEN 'DELETE'
        WHEN 'UPDATE' THEN 'UPDATE'
        WHEN 'DELETE' THEN 'INSERT'
        WHEN 'TRUNCATE' THEN 'INSERT'
        WHEN 'ADD COLUMN' THEN 'DROP COLUMN'
        WHEN 'DROP COLUMN' THEN 'ADD COLUMN'
        WHEN 'DROP TABLE' THEN 'CREATE TABLE'
        WHEN 'CREATE TABLE' THEN 'DROP TABLE'
        ELSE operation END
$function$;

COMMENT ON FUNCTION chronicle.revert_action(text) IS
    'Internal, for revert: the action that undoes an event of the given operation.';

-- The logged value (jsonb) of the column being retyped back, for the row with the given key: read
-- from pg_temp.chronicle_revert_values, filled by revert_ddl for one ALTER COLUMN TYPE. Called by
-- the USING expression of that statement, once per row.
CREATE OR REPLACE FUNCTION chronicle.revert_logged_value(row_key jsonb)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_value jsonb;
BEGIN
    SELECT v.v INTO v_value FROM pg_temp.chronicle_revert_values AS v WHERE v.k = row_key;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'cannot revert a column type change: row % has no logged value', row_key
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'The table was changed without being logged (while not audited, or with its capture triggers disabled), so the log no longer describes its rows. Nothing was changed.';
    END IF;
    RETURN v_value;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_logged_value(jsonb) IS
    'Internal, for revert: the logged old value of the column being retyped back, for one row key.';

-- Runs one DDL statement of a revert (DDL capture logs it: its event triggers fire ALWAYS, also
-- under the revert's session_replication_role = replica; the setting is not switched, since each
-- change of it discards every cached plan of the session), then sets the capture triggers of the
-- relation (re-created by DDL capture as ENABLE) to fire ALWAYS again.
CREATE OR REPLACE FUNCTION chronicle.revert_ddl_execute(statement text, relation regclass)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_trigger record;
BEGIN
    IF statement IS NOT NULL THEN
        EXECUTE statement;
    END IF;
    IF relation IS NULL THEN
        RETURN;
    END IF;
    FOR v_trigger IN
        SELECT t.tgrelid::regclass AS target, t.tgname
        FROM pg_catalog.pg_trigger AS t
        WHERE t.tgname LIKE 'chronicle\_capture\_%' AND NOT t.tgisinternal AND t.tgenabled <> 'A'
          AND t.tgrelid IN (SELECT relation UNION SELECT p.relid FROM pg_catalog.pg_partition_tree(relation) AS p)
        ORDER BY t.tgrelid, t.tgname
    LOOP
        EXECUTE pg_catalog.format('ALTER TABLE %s ENABLE ALWAYS TRIGGER %I', v_trigger.target, v_trigger.tgname);
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_ddl_execute(text, regclass) IS
    'Internal, for revert: runs one DDL statement, then sets the capture triggers of the relation to fire ALWAYS.';

-- The pre-image of values the revert's own DDL statement destroys (what ddl_command_start logs
-- for a statement that names the table and columns in its text; the revert's statements are
-- dynamic SQL, so it logs them itself): columns NULL for a whole table about to be dropped.
CREATE OR REPLACE FUNCTION chronicle.revert_ddl_pre_image(table_id integer, relation regclass, columns name[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
#variable_conflict use_variable
DECLARE
    v_version chronicle.audit_table_log;
    v_schema name;
    v_name name;
    v_columns name[];
BEGIN
    SELECT * INTO STRICT v_version FROM chronicle.audit_table_log AS t WHERE t.table_id = table_id AND t.valid_until IS NULL;
    SELECT n.nspname, c.relname INTO STRICT v_schema, v_name
    FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace WHERE c.oid = relation;
    IF columns IS NULL THEN
        PERFORM chronicle.ddl_log_rows(table_id, relation, false, 'DDL PRE-IMAGE',
            pg_catalog.jsonb_build_object('schema', v_schema, 'table', v_name, 'relation', pg_catalog.format('%I.%I', v_schema, v_name),
                                          'partition', false, 'partitions', '[]'::jsonb),
            NULL, false);
        RETURN;
    END IF;
    SELECT pg_catalog.array_agg(a.attname ORDER BY a.attnum) INTO v_columns
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = relation AND a.attname = ANY (columns) AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname <> ALL (v_version.excluded_columns) AND a.attgenerated <> 'v';
    IF NOT v_version.log_old_data OR v_columns IS NULL THEN
        RETURN;
    END IF;
    PERFORM chronicle.ddl_log_rows(table_id, relation, false, 'DDL PRE-IMAGE',
        pg_catalog.jsonb_build_object('schema', v_schema, 'table', v_name, 'columns', pg_catalog.to_jsonb(v_columns)),
        v_columns, false);
END
$function$;

COMMENT ON FUNCTION chronicle.revert_ddl_pre_image(integer, regclass, name[]) IS
    'Internal, for revert: logs the values the revert''s own DDL statement destroys, as DDL capture does.';

-- The column definition of a logged column version, for CREATE TABLE or ADD COLUMN. Identity and
-- NOT NULL are left out when with_identity is false (set after the column is refilled).
CREATE OR REPLACE FUNCTION chronicle.revert_column_definition(version chronicle.audit_column_log, with_identity boolean)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.format('%I %s', version.column_name, version.data_type)
           || CASE WHEN version.generated IS NOT NULL
                   THEN pg_catalog.format(' GENERATED ALWAYS AS (%s) %s', version.column_default, version.generated)
                   WHEN version.identity IS NOT NULL AND with_identity
                   THEN pg_catalog.format(' GENERATED %s AS IDENTITY', version.identity)
                   WHEN version.column_default IS NOT NULL THEN ' DEFAULT ' || version.column_default
                   ELSE '' END
           || CASE WHEN version.not_null AND with_identity THEN ' NOT NULL' ELSE '' END
$function$;

COMMENT ON FUNCTION chronicle.revert_column_definition(chronicle.audit_column_log, boolean) IS
    'Internal, for revert: the SQL definition of a logged column version.';

-- Sequences that serial defaults of the columns name and that no longer exist (dropped with their
-- table or column): created again, so that the default works; set past the column's values later.
CREATE OR REPLACE FUNCTION chronicle.revert_create_sequences(columns chronicle.audit_column_log[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_sequence record;
BEGIN
    FOR v_sequence IN
        SELECT m[1] AS name, c.data_type
        FROM pg_catalog.unnest(columns) AS c
        CROSS JOIN LATERAL pg_catalog.regexp_match(c.column_default, '^nextval\(''((?:[^'']|'''')+)''::regclass\)$') AS m
        WHERE c.generated IS NULL AND m IS NOT NULL
    LOOP
        CONTINUE WHEN pg_catalog.to_regclass(pg_catalog.replace(v_sequence.name, '''''', '''')) IS NOT NULL;
        EXECUTE pg_catalog.format('CREATE SEQUENCE %s%s', pg_catalog.replace(v_sequence.name, '''''', ''''),
            CASE WHEN v_sequence.data_type IN ('smallint', 'integer', 'bigint') THEN ' AS ' || v_sequence.data_type ELSE '' END);
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_create_sequences(chronicle.audit_column_log[]) IS
    'Internal, for revert: creates again the sequences of serial defaults that no longer exist.';

-- Sets the sequences of identity and serial columns past the largest value of their column; a
-- serial column's sequence created again belongs to its column again (OWNED BY).
CREATE OR REPLACE FUNCTION chronicle.revert_set_sequences(relation regclass, columns name[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_column record;
BEGIN
    FOR v_column IN
        SELECT a.attname, a.attidentity <> '' AS is_identity,
               pg_catalog.pg_get_serial_sequence(relation::text, a.attname) AS owned,
               pg_catalog.replace((pg_catalog.regexp_match(pg_catalog.pg_get_expr(d.adbin, d.adrelid),
                                                           '^nextval\(''((?:[^'']|'''')+)''::regclass\)$'))[1], '''''', '''') AS serial
        FROM pg_catalog.pg_attribute AS a
        LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = relation AND a.attname = ANY (columns) AND a.attnum > 0 AND NOT a.attisdropped
          AND a.atttypid IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype)
    LOOP
        IF NOT v_column.is_identity AND v_column.serial IS NOT NULL AND v_column.owned IS NULL THEN
            EXECUTE pg_catalog.format('ALTER SEQUENCE %s OWNED BY %s.%I', v_column.serial, relation, v_column.attname);
        END IF;
        CONTINUE WHEN coalesce(v_column.owned, v_column.serial) IS NULL;
        EXECUTE pg_catalog.format('SELECT pg_catalog.setval(%L::regclass, m) FROM (SELECT pg_catalog.max(%I) AS m FROM %s) AS x WHERE m IS NOT NULL',
                                  coalesce(v_column.owned, v_column.serial), v_column.attname, relation);
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_set_sequences(regclass, name[]) IS
    'Internal, for revert: sets the sequences of identity and serial columns past their largest value.';

-- Undoes one DDL event (newest first, the table being as the event left it): returns the relation
-- undone on, how many rows got logged values back, and whether the relation was created.
CREATE OR REPLACE FUNCTION chronicle.revert_ddl(event_id bigint, OUT relation regclass, OUT row_count bigint, OUT created boolean)
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
#variable_conflict use_variable
DECLARE
    v_event chronicle.table_event_log;
    v_version chronicle.audit_table_log;
    v_column chronicle.audit_column_log;
    v_columns chronicle.audit_column_log[];
    v_ddl jsonb;
    v_op text;
    v_name name;
    v_count bigint;
    v_list name[];
    v_transaction_id bigint;
    v_new_event bigint;
    v_except boolean := false;
    v_default text := '';
    v_set_default text := '';
BEGIN
    SELECT * INTO STRICT v_event FROM chronicle.table_event_log AS e WHERE e.id = event_id;
    v_ddl := v_event.ddl;
    v_op := v_event.operation::text;
    row_count := 0;
    created := false;
    SELECT * INTO v_version FROM chronicle.audit_table_log AS t WHERE t.table_id = v_event.table_id AND t.valid_until IS NULL;
    IF v_version.id IS NOT NULL THEN
        relation := pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_version.schema_name, v_version.table_name));
    END IF;
    IF v_op <> 'DROP TABLE' AND relation IS NULL THEN
        RAISE EXCEPTION 'cannot revert event % (%) of transaction %: the table (table id %) does not exist', event_id, v_op, v_event.transaction_id, v_event.table_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'The table was dropped or renamed without being logged. Nothing was changed.';
    END IF;

    IF v_op = 'ADD COLUMN' THEN
        PERFORM chronicle.revert_ddl_pre_image(v_event.table_id, relation, ARRAY[(v_ddl ->> 'column')::name]);
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s DROP COLUMN %I', relation, v_ddl ->> 'column'), relation);

    ELSIF v_op = 'DROP COLUMN' THEN
        SELECT * INTO v_column FROM chronicle.audit_column_log AS c
        WHERE c.table_id = v_event.table_id AND c.ordinal_position = (v_ddl ->> 'attnum')::smallint
          AND c.column_name = v_ddl ->> 'column' AND c.valid_until_event <= event_id
        ORDER BY c.id DESC LIMIT 1;
        IF v_column.id IS NULL THEN
            RAISE EXCEPTION 'cannot revert event % (DROP COLUMN) of transaction %: the dropped column % is not in chronicle.audit_column_log',
                            event_id, v_event.transaction_id, v_ddl ->> 'column'
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'The log of the table''s structure is incomplete. Nothing was changed.';
        END IF;
        PERFORM chronicle.revert_create_sequences(ARRAY[v_column]);
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s ADD COLUMN %s', relation,
            chronicle.revert_column_definition(v_column, false)), relation);
        IF v_column.generated IS NULL THEN
            SELECT pg_catalog.count(*) INTO v_count FROM chronicle.row_log AS r WHERE r.event_id = revert_ddl.event_id;
            IF v_count > 0 THEN
                -- (written as the table's owner, as the revert writes rows: revert_execute)
                row_count := (chronicle.revert_execute(relation, pg_catalog.format($sql$
                    UPDATE %1$s AS t SET %2$I = p.%2$I
                    FROM pg_temp.chronicle_revert_entries AS r
                    CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::%1$s, r.row_key || r.old_data) AS p
                    WHERE r.event_id = $1 AND %3$s$sql$,
                    relation, v_column.column_name,
                    chronicle.revert_key_condition(relation, v_version.key_columns, 't', 'p')), event_id)).row_count;
                IF row_count <> v_count THEN
                    RAISE EXCEPTION 'cannot revert event % (DROP COLUMN) of transaction % on %: % of its % rows are not as it left them',
                                    event_id, v_event.transaction_id, relation, v_count - row_count, v_count
                        USING ERRCODE = 'object_not_in_prerequisite_state',
                              HINT = 'The table was changed without being logged (while not audited, or with its capture triggers disabled), so the log no longer describes its rows. Nothing was changed.';
                END IF;
            END IF;
        END IF;
        IF v_column.identity IS NOT NULL THEN
            PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET NOT NULL, ALTER COLUMN %I ADD GENERATED %s AS IDENTITY',
                relation, v_column.column_name, v_column.column_name, v_column.identity), relation);
        ELSIF v_column.not_null THEN
            PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET NOT NULL', relation, v_column.column_name), relation);
        END IF;
        PERFORM chronicle.revert_set_sequences(relation, ARRAY[v_column.column_name]);

    ELSIF v_op = 'RENAME COLUMN' THEN
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s RENAME COLUMN %I TO %I', relation,
            v_ddl ->> 'new_name', v_ddl ->> 'old_name'), relation);

    ELSIF v_op = 'ALTER COLUMN TYPE' THEN
        v_name := v_ddl ->> 'column';
        SELECT pg_catalog.count(*) INTO v_count FROM chronicle.row_log AS r WHERE r.event_id = revert_ddl.event_id;
        -- The default goes with the type, in the same statement (a default of the new type may not
        -- cast to the old one): dropped, then the default the column had with its old type.
        SELECT * INTO v_column FROM chronicle.audit_column_log AS c
        WHERE c.table_id = v_event.table_id AND c.column_name = v_name AND c.data_type = v_ddl ->> 'old_type'
          AND c.valid_until_event <= event_id
        ORDER BY c.id DESC LIMIT 1;
        v_default := pg_catalog.format('ALTER COLUMN %I DROP DEFAULT, ', v_name);
        v_set_default := CASE WHEN v_column.generated IS NULL AND v_column.column_default IS NOT NULL
                              THEN pg_catalog.format(', ALTER COLUMN %I SET DEFAULT %s', v_name, v_column.column_default) ELSE '' END;
        IF v_count = 0 THEN
            -- values not logged (an excluded column, or an empty table): cast
            PERFORM chronicle.revert_ddl_pre_image(v_event.table_id, relation, ARRAY[v_name]);
            PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s %sALTER COLUMN %I TYPE %s USING %I::%s%s',
                relation, v_default, v_name, v_ddl ->> 'old_type', v_name, v_ddl ->> 'old_type', v_set_default), relation);
        ELSE
            DROP TABLE IF EXISTS pg_temp.chronicle_revert_values;
            CREATE TEMPORARY TABLE chronicle_revert_values (k jsonb PRIMARY KEY, v jsonb) ON COMMIT DROP;
            INSERT INTO pg_temp.chronicle_revert_values (k, v)
            SELECT r.row_key, pg_catalog.jsonb_build_object('v', r.old_data -> v_name)
            FROM chronicle.row_log AS r WHERE r.event_id = revert_ddl.event_id;
            DROP TYPE IF EXISTS pg_temp.chronicle_revert_value;
            EXECUTE pg_catalog.format('CREATE TYPE pg_temp.chronicle_revert_value AS (v %s)', v_ddl ->> 'old_type');
            -- (after the statements above: the end of each DDL statement deletes unused pre-images)
            PERFORM chronicle.revert_ddl_pre_image(v_event.table_id, relation, ARRAY[v_name]);
            PERFORM chronicle.revert_ddl_execute(pg_catalog.format(
                'ALTER TABLE %1$s %5$sALTER COLUMN %2$I TYPE %3$s USING (pg_catalog.jsonb_populate_record(NULL::pg_temp.chronicle_revert_value, '
                'chronicle.revert_logged_value(%4$s))).v%6$s',
                relation, v_name, v_ddl ->> 'old_type',
                chronicle.capture_key_expression(relation, v_version.key_columns, pg_catalog.quote_ident((SELECT c.relname FROM pg_catalog.pg_class AS c WHERE c.oid = relation))),
                v_default, v_set_default),
                relation);
            DROP TYPE pg_temp.chronicle_revert_value;
            DROP TABLE pg_temp.chronicle_revert_values;
            row_count := v_count;
        END IF;

    ELSIF v_op = 'ALTER COLUMN DEFAULT' THEN
        BEGIN
            PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I %s', relation, v_ddl ->> 'column',
                CASE WHEN v_ddl ->> 'old_default' IS NULL THEN 'DROP DEFAULT' ELSE 'SET DEFAULT ' || (v_ddl ->> 'old_default') END), relation);
        EXCEPTION WHEN datatype_mismatch THEN
            -- The old default is of the column's old type: the statement changed the type too, and
            -- the undo of that type change, next, sets the old default with the old type.
            NULL;
        END;

    ELSIF v_op = 'ALTER COLUMN NOT NULL' THEN
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I %s NOT NULL', relation, v_ddl ->> 'column',
            CASE WHEN (v_ddl ->> 'old_not_null')::boolean THEN 'SET' ELSE 'DROP' END), relation);

    ELSIF v_op = 'ALTER COLUMN IDENTITY' THEN
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I %s', relation, v_ddl ->> 'column',
            CASE WHEN v_ddl ->> 'old_identity' IS NULL THEN 'DROP IDENTITY'
                 WHEN v_ddl ->> 'new_identity' IS NULL THEN pg_catalog.format('ADD GENERATED %s AS IDENTITY', v_ddl ->> 'old_identity')
                 ELSE pg_catalog.format('SET GENERATED %s', v_ddl ->> 'old_identity') END), relation);
        IF v_ddl ->> 'old_identity' IS NOT NULL AND v_ddl ->> 'new_identity' IS NULL THEN
            PERFORM chronicle.revert_set_sequences(relation, ARRAY[(v_ddl ->> 'column')::name]);
        END IF;

    ELSIF v_op = 'RENAME TABLE' THEN
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s RENAME TO %I', relation, v_ddl ->> 'old_name'), relation);

    ELSIF v_op = 'SET SCHEMA' THEN
        IF pg_catalog.to_regnamespace(pg_catalog.quote_ident(v_ddl ->> 'old_schema')) IS NULL THEN
            RAISE EXCEPTION 'cannot revert event % (SET SCHEMA) of transaction %: schema % does not exist', event_id, v_event.transaction_id,
                            pg_catalog.quote_ident(v_ddl ->> 'old_schema')
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'The schema was renamed or dropped: create it (or rename it back) first. Nothing was changed.';
        END IF;
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('ALTER TABLE %s SET SCHEMA %I', relation, v_ddl ->> 'old_schema'), relation);

    ELSIF v_op = 'CREATE TABLE' THEN
        -- (a revert's re-creation of a dropped table, undone: its rows were taken out already)
        PERFORM chronicle.revert_ddl_pre_image(v_event.table_id, relation, NULL);
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('DROP TABLE %s', relation), NULL);

    ELSIF v_op = 'DROP TABLE' THEN
        IF v_version.id IS NOT NULL THEN
            RAISE EXCEPTION 'cannot revert event % (DROP TABLE) of transaction %: the table is audited again (as %.%)', event_id, v_event.transaction_id,
                            pg_catalog.quote_ident(v_version.schema_name), pg_catalog.quote_ident(v_version.table_name)
                USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Nothing was changed.';
        END IF;
        SELECT * INTO STRICT v_version FROM chronicle.audit_table_log AS t
        WHERE t.table_id = v_event.table_id AND t.valid_until_event = event_id;
        IF pg_catalog.to_regnamespace(pg_catalog.quote_ident(v_version.schema_name)) IS NULL THEN
            RAISE EXCEPTION 'cannot revert event % (DROP TABLE) of transaction %: schema % does not exist', event_id, v_event.transaction_id,
                            pg_catalog.quote_ident(v_version.schema_name)
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'The table was dropped with its schema (DROP SCHEMA ... CASCADE): create the schema first, then revert. Nothing was changed.';
        END IF;
        IF pg_catalog.to_regclass(pg_catalog.format('%I.%I', v_version.schema_name, v_version.table_name)) IS NOT NULL THEN
            RAISE EXCEPTION 'cannot revert event % (DROP TABLE) of transaction %: a relation %.% exists', event_id, v_event.transaction_id,
                            pg_catalog.quote_ident(v_version.schema_name), pg_catalog.quote_ident(v_version.table_name)
                USING ERRCODE = 'duplicate_table',
                      HINT = 'Another table took the name of the dropped one: rename or drop it first. Nothing was changed.';
        END IF;
        SELECT pg_catalog.array_agg(c ORDER BY c.ordinal_position) INTO v_columns
        FROM chronicle.audit_column_log AS c WHERE c.table_id = v_event.table_id AND c.valid_until_event = event_id;
        -- a schema whose new tables are audited would audit it as a new table: not this one
        UPDATE chronicle.auto_audit_schema AS s SET except_tables = s.except_tables || v_version.table_name
        WHERE s.schema_name = v_version.schema_name AND v_version.table_name <> ALL (s.except_tables);
        v_except := FOUND;
        PERFORM chronicle.revert_create_sequences(v_columns);
        PERFORM chronicle.revert_ddl_execute(pg_catalog.format('CREATE TABLE %I.%I (%s, PRIMARY KEY (%s))',
            v_version.schema_name, v_version.table_name,
            (SELECT pg_catalog.string_agg(chronicle.revert_column_definition(c, true), ', ' ORDER BY c.ordinal_position)
             FROM pg_catalog.unnest(v_columns) AS c),
            (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(k), ', ' ORDER BY o)
             FROM pg_catalog.unnest(v_version.key_columns) WITH ORDINALITY AS x(k, o))), NULL);
        IF v_except THEN
            UPDATE chronicle.auto_audit_schema AS s SET except_tables = pg_catalog.array_remove(s.except_tables, v_version.table_name)
            WHERE s.schema_name = v_version.schema_name;
        END IF;
        relation := pg_catalog.format('%I.%I', v_version.schema_name, v_version.table_name)::regclass;
        created := true;
        -- audited again under its table_id: a new version, started by a CREATE TABLE event
        v_transaction_id := chronicle.log_transaction();
        v_new_event := chronicle.ddl_log_event(v_event.table_id, 'CREATE TABLE',
            pg_catalog.jsonb_build_object('schema', v_version.schema_name, 'table', v_version.table_name, 'dropped_by_event', event_id));
        INSERT INTO chronicle.audit_table_log
            (table_id, schema_name, table_name, key_columns, log_old_data, log_new_data, excluded_columns, valid_from, valid_from_event)
        VALUES (v_version.table_id, v_version.schema_name, v_version.table_name, v_version.key_columns, v_version.log_old_data,
                v_version.log_new_data, v_version.excluded_columns, v_transaction_id, v_new_event);
        INSERT INTO chronicle.audit_column_log
            (table_id, column_name, ordinal_position, data_type, column_default, not_null, generated, identity, valid_from, valid_from_event)
        SELECT v_version.table_id, a.attname, a.attnum, pg_catalog.format_type(a.atttypid, a.atttypmod),
               pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attnotnull,
               CASE a.attgenerated WHEN 's' THEN 'STORED' WHEN 'v' THEN 'VIRTUAL' END,
               CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END,
               v_transaction_id, v_new_event
        FROM pg_catalog.pg_attribute AS a
        LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped;
        PERFORM chronicle.install_capture(v_version.table_id, relation);
        PERFORM chronicle.revert_ddl_execute(NULL, relation);
        -- its rows, as for a TRUNCATE (captured as an INSERT)
        v_list := chronicle.revert_columns(relation, v_version.excluded_columns, true);
        EXECUTE pg_catalog.format($sql$
            INSERT INTO %1$s AS t (%2$s) OVERRIDING SYSTEM VALUE
            SELECT %3$s FROM chronicle.row_log AS r
            CROSS JOIN LATERAL pg_catalog.jsonb_populate_record(NULL::%1$s, r.old_data) AS p
            WHERE r.event_id = $1$sql$,
            relation,
            (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ' ORDER BY o) FROM pg_catalog.unnest(v_list) WITH ORDINALITY AS x(c, o)),
            (SELECT pg_catalog.string_agg('p.' || pg_catalog.quote_ident(c), ', ' ORDER BY o) FROM pg_catalog.unnest(v_list) WITH ORDINALITY AS x(c, o)))
        USING event_id;
        GET DIAGNOSTICS row_count = ROW_COUNT;
        PERFORM chronicle.revert_set_sequences(relation, ARRAY(SELECT c.column_name FROM pg_catalog.unnest(v_columns) AS c));

    ELSE
        RAISE EXCEPTION 'cannot revert event % (%) of transaction %: %', event_id, v_op, v_event.transaction_id,
                        coalesce(chronicle.revert_ddl_refusal(v_op, v_ddl), 'not a DDL event')
            USING ERRCODE = 'feature_not_supported', HINT = 'Nothing was changed.';
    END IF;
END
$function$;

COMMENT ON FUNCTION chronicle.revert_ddl(bigint) IS
    'Internal, for revert: undoes one DDL event by the inverse DDL (captured like any other), writing logged values back by key.';
