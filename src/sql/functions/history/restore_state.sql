-- Rebuilding past states in another schema (docs/time-travel.md, "Restoring a past state"):
-- restore_table_state and restore_schema_state. They run as the caller, who needs to read the
-- log and the tables and to create in the target schema (chronicle_admin may call them).

-- The rows of an audited table at a cut, in its shape then, as records: what a restored VIEW
-- reads, so that it follows the log as it grows. The caller gives the column definition list.
CREATE OR REPLACE FUNCTION chronicle.state_rows(table_id integer, cut chronicle.cut)
RETURNS SETOF record
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
-- a state sorts and hashes every changed row once: in memory, not in temporary files
SET work_mem = '64MB'
AS $function$
BEGIN
    RETURN QUERY EXECUTE chronicle.state_query(table_id, cut, 'then');
END
$function$;

-- Creates the state of the given tables at a cut in target_schema, as tables or views; returns
-- what it created. Everything is checked before anything is created, and a failure leaves
-- nothing behind (it all runs in the caller's transaction).
CREATE OR REPLACE FUNCTION chronicle.restore_state_at(cut chronicle.cut, table_ids integer[], target_schema name,
                                                      mode text, replace boolean, constraints boolean)
RETURNS SETOF regclass
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'
-- a state sorts and hashes every changed row once: in memory, not in temporary files
SET work_mem = '64MB'
AS $function$
DECLARE
    v_mode text := pg_catalog.upper(mode);
    v_ids integer[];
    v_names name[];
    v_queries text[];
    v_columns text[];
    v_sources regclass[];
    v_created regclass[] := '{}';
    v_target regclass;
    v_existing text;
    v_drop record;
    v_previous_restore_drop text;
    v_previous_hashjoin text;
    v_constraint record;
BEGIN
    IF v_mode IS NULL OR v_mode NOT IN ('TABLE', 'VIEW') THEN
        RAISE EXCEPTION 'unknown mode %', mode USING ERRCODE = 'invalid_parameter_value', HINT = 'Use ''TABLE'' or ''VIEW''.';
    END IF;
    IF target_schema IS NULL OR replace IS NULL OR constraints IS NULL THEN
        RAISE EXCEPTION 'the target schema and the options must not be NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = 'Leave an option out to take its default.';
    END IF;
    IF constraints AND v_mode = 'VIEW' THEN
        RAISE EXCEPTION 'a VIEW has no constraints' USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass constraints => true with mode ''TABLE''.';
    END IF;
    IF target_schema IN ('chronicle', 'pg_catalog', 'information_schema') OR target_schema LIKE 'pg\_%' THEN
        RAISE EXCEPTION 'cannot restore into schema %', target_schema
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Name a schema of your own; it is created if it does not exist.';
    END IF;
    IF EXISTS (SELECT FROM chronicle.audit_table_log AS v WHERE v.valid_until IS NULL AND v.schema_name = target_schema) THEN
        RAISE EXCEPTION 'schema % holds audited tables', target_schema
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Restore into a schema of its own, e.g. ' || pg_catalog.quote_ident(target_schema || '_restored') || '.';
    END IF;

    -- the state of every table at the cut: its name then and its query (errors come before anything is created)
    SELECT pg_catalog.array_agg(t.id ORDER BY v.table_name), pg_catalog.array_agg(v.table_name ORDER BY v.table_name),
           pg_catalog.array_agg(chronicle.state_query(t.id, cut, 'then') ORDER BY v.table_name),
           pg_catalog.array_agg((SELECT pg_catalog.string_agg(pg_catalog.format('%I %s', c.column_name, c.data_type), ', ' ORDER BY c.n)
                                 FROM chronicle.state_columns(t.id, cut) WITH ORDINALITY AS c(column_name, data_type, logged, current_name, n))
                                ORDER BY v.table_name),
           pg_catalog.array_agg(CASE WHEN now_v.table_id IS NOT NULL
                                     THEN pg_catalog.to_regclass(pg_catalog.format('%I.%I', now_v.schema_name, now_v.table_name)) END
                                ORDER BY v.table_name)
    INTO v_ids, v_names, v_queries, v_columns, v_sources
    FROM pg_catalog.unnest(table_ids) AS t(id)
    CROSS JOIN LATERAL chronicle.state_version(t.id, cut) AS v
    LEFT JOIN chronicle.audit_table_log AS now_v ON now_v.table_id = t.id AND now_v.valid_until IS NULL;

    IF EXISTS (SELECT FROM pg_catalog.pg_namespace AS n WHERE n.nspname = target_schema) THEN
        SELECT pg_catalog.string_agg(pg_catalog.format('%I', c.relname), ', ' ORDER BY c.relname) INTO v_existing
        FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        WHERE n.nspname = target_schema AND c.relkind IN ('r', 'p', 'v', 'm', 'f');
        IF v_existing IS NOT NULL AND NOT replace THEN
            RAISE EXCEPTION 'schema % is not empty', target_schema
                USING ERRCODE = 'duplicate_schema', DETAIL = 'It holds ' || v_existing || '.',
                      HINT = 'Restore into a new schema, or pass replace => true to replace the tables and views of the same names.';
        END IF;
        -- what is dropped here is not audited (checked above): no pre-image (ddl_command_start)
        v_previous_restore_drop := pg_catalog.current_setting('chronicle.ddl_restore_drop', true);
        PERFORM pg_catalog.set_config('chronicle.ddl_restore_drop', 'on', true);
        FOR v_drop IN SELECT c.oid::regclass AS relation, c.relkind
                      FROM pg_catalog.pg_class AS c JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
                      WHERE n.nspname = target_schema AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname = ANY (v_names) LOOP
            EXECUTE pg_catalog.format('DROP %s %s CASCADE',
                                      CASE v_drop.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                                                          WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, v_drop.relation);
        END LOOP;
        PERFORM pg_catalog.set_config('chronicle.ddl_restore_drop', coalesce(v_previous_restore_drop, ''), true);
    ELSE
        EXECUTE pg_catalog.format('CREATE SCHEMA %I', target_schema);
    END IF;

    FOR i IN 1 .. coalesce(pg_catalog.array_length(v_ids, 1), 0) LOOP
        IF v_mode = 'VIEW' THEN
            EXECUTE pg_catalog.format('CREATE VIEW %I.%I AS SELECT * FROM chronicle.state_rows(%s, %L::chronicle.cut) AS s(%s)',
                                      target_schema, v_names[i], v_ids[i], cut::text, v_columns[i]);
        ELSIF v_queries[i] LIKE '/* chronicle: overlay */%' AND chronicle.state_key_ordered(v_sources[i]) THEN
            -- The overlay of logged old values on the rows now (state_query_updates_only) is a join
            -- of the table with its entries on the key. The planner hashes the table (the key read
            -- from the entries has no statistics), storing every row in the hash; a table in key
            -- order is read along its key index as cheaply as in sequence, and a merge join stores
            -- nothing (about a fifth less time on 200,000 rows).
            v_previous_hashjoin := pg_catalog.current_setting('enable_hashjoin');
            PERFORM pg_catalog.set_config('enable_hashjoin', 'off', true);
            EXECUTE pg_catalog.format('CREATE TABLE %I.%I AS %s', target_schema, v_names[i], v_queries[i]);
            PERFORM pg_catalog.set_config('enable_hashjoin', v_previous_hashjoin, true);
        ELSE
            EXECUTE pg_catalog.format('CREATE TABLE %I.%I AS %s', target_schema, v_names[i], v_queries[i]);
        END IF;
        v_target := pg_catalog.format('%I.%I', target_schema, v_names[i])::regclass;
        EXECUTE pg_catalog.format('COMMENT ON %s %s IS %L', v_mode, v_target,
                                  pg_catalog.format('chronicle: %s as of %s', v_names[i], (cut).description));
        IF constraints THEN
            PERFORM chronicle.restore_table_constraints(v_ids[i], cut, v_target, v_sources[i]);
        END IF;
        v_created := v_created || v_target;
        RETURN NEXT v_target;
    END LOOP;

    -- foreign keys between the restored tables, as the tables have them now
    IF constraints THEN
        FOR v_constraint IN
            SELECT k.conname, v_created[child.i] AS child, v_created[parent.i] AS parent,
                   (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY u.n)
                    FROM pg_catalog.unnest(k.conkey) WITH ORDINALITY AS u(attnum, n)
                    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = k.conrelid AND a.attnum = u.attnum) AS columns,
                   (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY u.n)
                    FROM pg_catalog.unnest(k.confkey) WITH ORDINALITY AS u(attnum, n)
                    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = k.confrelid AND a.attnum = u.attnum) AS referenced
            FROM pg_catalog.pg_constraint AS k
            JOIN pg_catalog.generate_subscripts(v_sources, 1) AS child(i) ON v_sources[child.i] = k.conrelid
            JOIN pg_catalog.generate_subscripts(v_sources, 1) AS parent(i) ON v_sources[parent.i] = k.confrelid
            WHERE k.contype = 'f' AND k.conparentid = 0
            ORDER BY 1
        LOOP
            BEGIN
                EXECUTE pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I FOREIGN KEY (%s) REFERENCES %s (%s)',
                                          v_constraint.child, v_constraint.conname, v_constraint.columns, v_constraint.parent, v_constraint.referenced);
            EXCEPTION WHEN undefined_column OR foreign_key_violation OR invalid_foreign_key OR datatype_mismatch THEN
                RAISE WARNING 'foreign key % of % not restored: %', v_constraint.conname, v_constraint.child, SQLERRM
                    USING HINT = 'It is taken from the table as it is now; the restored columns or rows do not match it.';
            END;
        END LOOP;
    END IF;
END
$function$;

-- Whether a table's rows lie in the order of its row key: the key's first column correlates with
-- the physical order (pg_stats, so the table must have been analyzed) and a btree index starts
-- with it. False when that cannot be told.
CREATE OR REPLACE FUNCTION chronicle.state_key_ordered(relation regclass)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_schema name;
    v_table name;
    v_first_key name;
    v_correlation real;
BEGIN
    SELECT n.nspname, c.relname, v.key_columns[1] INTO v_schema, v_table, v_first_key
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN chronicle.audit_table_log AS v ON v.valid_until IS NULL AND v.schema_name = n.nspname AND v.table_name = c.relname
    WHERE c.oid = relation;
    IF v_first_key IS NULL OR NOT EXISTS (
           SELECT FROM pg_catalog.pg_index AS i
           JOIN pg_catalog.pg_class AS ic ON ic.oid = i.indexrelid
           JOIN pg_catalog.pg_am AS am ON am.oid = ic.relam AND am.amname = 'btree'
           JOIN pg_catalog.pg_attribute AS a ON a.attrelid = relation AND a.attnum = i.indkey[0]
           WHERE i.indrelid = relation AND a.attname = v_first_key) THEN
        RETURN false;
    END IF;
    -- one row of the view, found by its constants (joined, the view is computed for every row)
    SELECT s.correlation INTO v_correlation
    FROM pg_catalog.pg_stats AS s
    WHERE s.schemaname = v_schema AND s.tablename = v_table AND s.attname = v_first_key AND NOT s.inherited;
    RETURN coalesce(pg_catalog.abs(v_correlation) >= 0.9, false);
END
$function$;

COMMENT ON FUNCTION chronicle.state_key_ordered(regclass) IS
    'Internal, for time travel: whether a table''s rows lie in the order of its row key.';

-- The constraints of a restored table: NOT NULL, defaults and the row key as the log has them at
-- the cut; CHECK and UNIQUE constraints and indexes as the table has them now, where every
-- column they name exists in the restored table (the log does not record them).
CREATE OR REPLACE FUNCTION chronicle.restore_table_constraints(table_id integer, cut chronicle.cut, target regclass, source regclass)
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_version chronicle.audit_table_log := chronicle.state_version(table_id, cut);
    v_column record;
    v_definition record;
BEGIN
    FOR v_column IN
        SELECT c.column_name, c.column_default, c.not_null
        FROM chronicle.audit_column_log AS c
        WHERE c.table_id = restore_table_constraints.table_id
          AND coalesce(chronicle.in_cut(cut, c.valid_from), false)
          AND (c.valid_until IS NULL OR NOT coalesce(chronicle.in_cut(cut, c.valid_until), false))
          AND c.column_name <> ALL (v_version.excluded_columns)
          AND c.generated IS NULL AND c.identity IS NULL
    LOOP
        IF v_column.not_null THEN
            EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET NOT NULL', target, v_column.column_name);
        END IF;
        IF v_column.column_default IS NOT NULL THEN
            EXECUTE pg_catalog.format('ALTER TABLE %s ALTER COLUMN %I SET DEFAULT %s', target, v_column.column_name, v_column.column_default);
        END IF;
    END LOOP;
    EXECUTE pg_catalog.format('ALTER TABLE %s ADD PRIMARY KEY (%s)', target,
                              (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(k), ', ') FROM pg_catalog.unnest(v_version.key_columns) AS k));
    IF source IS NULL THEN
        RETURN;
    END IF;
    -- today's CHECK and UNIQUE constraints and other indexes, where every column they name exists
    -- in the restored table; the index gets a name of PostgreSQL's choice in the target schema
    FOR v_definition IN
        SELECT pg_catalog.format('ALTER TABLE %s ADD %s', target, pg_catalog.pg_get_constraintdef(k.oid)) AS statement
        FROM pg_catalog.pg_constraint AS k
        WHERE k.conrelid = source AND k.contype IN ('c', 'u')
          AND NOT EXISTS (SELECT FROM pg_catalog.unnest(k.conkey) AS u(attnum)
                          JOIN pg_catalog.pg_attribute AS a ON a.attrelid = source AND a.attnum = u.attnum
                          WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute AS b
                                            WHERE b.attrelid = target AND b.attname = a.attname AND NOT b.attisdropped))
        UNION ALL
        SELECT pg_catalog.format('CREATE %sINDEX ON %s ', CASE WHEN i.indisunique THEN 'UNIQUE ' END, target)
               || pg_catalog.substr(d.definition, pg_catalog.strpos(d.definition, ' USING ') + 1)
        FROM pg_catalog.pg_index AS i
        CROSS JOIN LATERAL (SELECT pg_catalog.pg_get_indexdef(i.indexrelid) AS definition) AS d
        WHERE i.indrelid = source AND NOT i.indisprimary
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint AS k WHERE k.conindid = i.indexrelid AND k.conrelid = source)
          AND 0 <> ALL (i.indkey::smallint[])
          AND NOT EXISTS (SELECT FROM pg_catalog.unnest(i.indkey::smallint[]) AS u(attnum)
                          JOIN pg_catalog.pg_attribute AS a ON a.attrelid = source AND a.attnum = u.attnum
                          WHERE NOT EXISTS (SELECT FROM pg_catalog.pg_attribute AS b
                                            WHERE b.attrelid = target AND b.attname = a.attname AND NOT b.attisdropped))
    LOOP
        BEGIN
            EXECUTE v_definition.statement;
        EXCEPTION WHEN check_violation OR unique_violation OR datatype_mismatch OR undefined_function OR undefined_column THEN
            RAISE WARNING 'not restored on %: % (%)', target, v_definition.statement, SQLERRM
                USING HINT = 'It is taken from the table as it is now; the restored rows or columns do not match it.';
        END;
    END LOOP;
END
$function$;

CREATE OR REPLACE FUNCTION chronicle.restore_table_state(point text, relation regclass, target_schema name,
                                                         mode text DEFAULT 'TABLE', replace boolean DEFAULT false,
                                                         constraints boolean DEFAULT false)
RETURNS regclass
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT chronicle.restore_state_at(chronicle.cut(point), ARRAY[chronicle.history_table_id(relation)], target_schema, mode, replace, constraints)
$function$;

CREATE OR REPLACE FUNCTION chronicle.restore_table_state(point timestamptz, relation regclass, target_schema name,
                                                         mode text DEFAULT 'TABLE', replace boolean DEFAULT false,
                                                         constraints boolean DEFAULT false)
RETURNS regclass
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT chronicle.restore_state_at(chronicle.cut(point), ARRAY[chronicle.history_table_id(relation)], target_schema, mode, replace, constraints)
$function$;

CREATE OR REPLACE FUNCTION chronicle.restore_table_state(point bigint, relation regclass, target_schema name,
                                                         mode text DEFAULT 'TABLE', replace boolean DEFAULT false,
                                                         constraints boolean DEFAULT false)
RETURNS regclass
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT chronicle.restore_state_at(chronicle.cut(point), ARRAY[chronicle.history_table_id(relation)], target_schema, mode, replace, constraints)
$function$;

-- The tables audited in a schema at a cut (by their schema then), tables dropped since included.
-- Tables audited only later are left out with a NOTICE: created later, or not followed then.
CREATE OR REPLACE FUNCTION chronicle.schema_tables_at(cut chronicle.cut, source_schema name)
RETURNS integer[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_candidate record;
    v_version chronicle.audit_table_log;
    v_tables integer[] := '{}';
BEGIN
    FOR v_candidate IN SELECT DISTINCT v.table_id FROM chronicle.audit_table_log AS v WHERE v.schema_name = source_schema ORDER BY 1 LOOP
        BEGIN
            v_version := chronicle.state_version(v_candidate.table_id, cut);
            IF v_version.schema_name = source_schema THEN
                v_tables := v_tables || v_candidate.table_id;
            END IF;
        EXCEPTION WHEN invalid_parameter_value OR undefined_table THEN
            -- not audited yet, or dropped before the point: not part of the schema then
            IF SQLSTATE = '22023' THEN
                RAISE NOTICE '%: left out', SQLERRM;
            END IF;
        END;
    END LOOP;
    IF pg_catalog.cardinality(v_tables) = 0 THEN
        RAISE EXCEPTION 'schema % had no audited tables at %', source_schema, (cut).description
            USING ERRCODE = 'invalid_parameter_value', HINT = 'The audited tables and their schemas are in chronicle.audit_table_log.';
    END IF;
    RETURN v_tables;
END
$function$;

CREATE OR REPLACE FUNCTION chronicle.restore_schema_state(point text, source_schema name, target_schema name,
                                                          mode text DEFAULT 'TABLE', replace boolean DEFAULT false,
                                                          constraints boolean DEFAULT false)
RETURNS SETOF regclass
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT chronicle.restore_state_at(c.cut, chronicle.schema_tables_at(c.cut, source_schema), target_schema, mode, replace, constraints)
    FROM (SELECT chronicle.cut(point) AS cut) AS c
$function$;

CREATE OR REPLACE FUNCTION chronicle.restore_schema_state(point timestamptz, source_schema name, target_schema name,
                                                          mode text DEFAULT 'TABLE', replace boolean DEFAULT false,
                                                          constraints boolean DEFAULT false)
RETURNS SETOF regclass
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT chronicle.restore_state_at(c.cut, chronicle.schema_tables_at(c.cut, source_schema), target_schema, mode, replace, constraints)
    FROM (SELECT chronicle.cut(point) AS cut) AS c
$function$;

CREATE OR REPLACE FUNCTION chronicle.restore_schema_state(point bigint, source_schema name, target_schema name,
                                                          mode text DEFAULT 'TABLE', replace boolean DEFAULT false,
                                                          constraints boolean DEFAULT false)
RETURNS SETOF regclass
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT chronicle.restore_state_at(c.cut, chronicle.schema_tables_at(c.cut, source_schema), target_schema, mode, replace, constraints)
    FROM (SELECT chronicle.cut(point) AS cut) AS c
$function$;

COMMENT ON FUNCTION chronicle.state_rows(integer, chronicle.cut) IS 'Internal: the rows of an audited table at a cut, as records in its shape then (read by restored views).';
COMMENT ON FUNCTION chronicle.restore_state_at(chronicle.cut, integer[], name, text, boolean, boolean) IS 'Internal: restore_table_state and restore_schema_state at a cut.';
COMMENT ON FUNCTION chronicle.restore_table_constraints(integer, chronicle.cut, regclass, regclass) IS 'Internal: the constraints of a restored table.';
COMMENT ON FUNCTION chronicle.schema_tables_at(chronicle.cut, name) IS 'Internal: the tables audited in a schema at a cut.';
COMMENT ON FUNCTION chronicle.restore_table_state(text, regclass, name, text, boolean, boolean) IS
    'Rebuilds an audited table as it was at a point (a mark name or a timestamp) in target_schema, as a TABLE or a VIEW.';
COMMENT ON FUNCTION chronicle.restore_table_state(timestamptz, regclass, name, text, boolean, boolean) IS
    'Rebuilds an audited table as it was at a timestamp in target_schema, as a TABLE or a VIEW.';
COMMENT ON FUNCTION chronicle.restore_table_state(bigint, regclass, name, text, boolean, boolean) IS
    'Rebuilds an audited table as it was right after a transaction in target_schema, as a TABLE or a VIEW.';
COMMENT ON FUNCTION chronicle.restore_schema_state(text, name, name, text, boolean, boolean) IS
    'Rebuilds the audited tables of a schema as they were at a point (a mark name or a timestamp) in target_schema.';
COMMENT ON FUNCTION chronicle.restore_schema_state(timestamptz, name, name, text, boolean, boolean) IS
    'Rebuilds the audited tables of a schema as they were at a timestamp in target_schema.';
COMMENT ON FUNCTION chronicle.restore_schema_state(bigint, name, name, text, boolean, boolean) IS
    'Rebuilds the audited tables of a schema as they were right after a transaction in target_schema.';
