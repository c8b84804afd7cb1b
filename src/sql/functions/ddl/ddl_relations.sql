-- The identifiers of a query text, as candidates for the tables and columns a DDL statement may
-- touch: quoted identifiers as written, unquoted words both as written and folded to lower case.
-- A hint only (string literals and comments add words too, which only widens the candidates): what
-- a statement really changed is read from the event trigger functions afterwards.
CREATE OR REPLACE FUNCTION chronicle.ddl_query_identifiers(query text)
RETURNS text[]
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT coalesce(pg_catalog.array_agg(DISTINCT w.word), '{}')
    FROM pg_catalog.regexp_matches(coalesce(query, ''), '"((?:[^"]|"")+)"|([[:alpha:]_][[:alnum:]_$]*)', 'g') AS m(part),
         LATERAL (SELECT pg_catalog.replace(m.part[1], '""', '"') WHERE m.part[1] IS NOT NULL
                  UNION ALL SELECT m.part[2] WHERE m.part[2] IS NOT NULL
                  UNION ALL SELECT pg_catalog.lower(m.part[2]) WHERE m.part[2] IS NOT NULL) AS w(word)
$function$;

COMMENT ON FUNCTION chronicle.ddl_query_identifiers(text) IS
    'Internal, for DDL capture: the identifiers a query text names (a hint for which audited tables a DDL statement may change).';

-- The names of relations a query text may mean, as candidates for the audited tables a DDL
-- statement may drop or alter: each identifier written alone (as written and, unquoted, folded to
-- lower case), and each pair written qualified, a.b, as format('%I.%I', a, b). A part of a
-- qualified name is not a name of its own, so DROP TABLE staging.orders never means public.orders.
-- A hint only, like ddl_query_identifiers.
CREATE OR REPLACE FUNCTION chronicle.ddl_query_relation_names(query text)
RETURNS text[]
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    WITH chains AS (
        SELECT c.n, c.chain[1] AS chain
        FROM pg_catalog.regexp_matches(coalesce(query, ''),
                 '(?:"(?:[^"]|"")+"|[[:alpha:]_][[:alnum:]_$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[[:alpha:]_][[:alnum:]_$]*))*', 'g')
             WITH ORDINALITY AS c(chain, n)
    ), parts AS (
        SELECT ch.n, p.i, p.part
        FROM chains AS ch,
             pg_catalog.regexp_matches(ch.chain, '"((?:[^"]|"")+)"|([[:alpha:]_][[:alnum:]_$]*)', 'g') WITH ORDINALITY AS p(part, i)
    ), spellings AS (
        SELECT x.n, x.i, w.word, pg_catalog.max(x.i) OVER (PARTITION BY x.n) AS parts
        FROM parts AS x,
             LATERAL (SELECT pg_catalog.replace(x.part[1], '""', '"') WHERE x.part[1] IS NOT NULL
                      UNION SELECT x.part[2] WHERE x.part[2] IS NOT NULL
                      UNION SELECT pg_catalog.lower(x.part[2]) WHERE x.part[2] IS NOT NULL) AS w(word)
    )
    SELECT coalesce(pg_catalog.array_agg(DISTINCT x.name), '{}')
    FROM (SELECT s.word FROM spellings AS s WHERE s.parts = 1
          UNION ALL
          SELECT pg_catalog.format('%I.%I', a.word, b.word) FROM spellings AS a JOIN spellings AS b ON b.n = a.n AND b.i = a.i + 1) AS x(name)
$function$;

COMMENT ON FUNCTION chronicle.ddl_query_relation_names(text) IS
    'Internal, for DDL capture: the relation names a query text names, alone or schema-qualified (a hint for which audited tables a DDL statement may change).';

-- Every relation that carries the capture triggers of a currently audited table: the table itself,
-- its partitions, and partitions detached since (they keep the triggers until DDL capture sees the
-- detach). Found through the triggers rather than by name, so a table renamed or moved by the
-- statement being captured is still found.
CREATE OR REPLACE FUNCTION chronicle.ddl_audited_relations()
RETURNS TABLE (table_id integer, relation regclass, is_table boolean)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    -- PL/pgSQL, so that the plan is kept for the session: it runs at every DDL statement that may
    -- touch an audited table, and planning it costs more than running it.
    RETURN QUERY
    WITH carriers AS (
        SELECT v.table_id, c.oid::pg_catalog.regclass AS relation, c.relispartition,
               (n.nspname = v.schema_name AND c.relname = v.table_name) AS same_name,
               pg_catalog.count(*) FILTER (WHERE NOT c.relispartition) OVER (PARTITION BY v.table_id) AS roots
        FROM pg_catalog.pg_trigger AS t
        JOIN pg_catalog.pg_proc AS p ON p.oid = t.tgfoid
        JOIN chronicle.audit_table_log AS v
          ON v.valid_until IS NULL AND v.table_id = pg_catalog.substr(p.proname, 9)::integer
        JOIN pg_catalog.pg_class AS c ON c.oid = t.tgrelid
        JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
        WHERE t.tgname = 'chronicle_capture_insert' AND p.pronamespace = 'chronicle'::pg_catalog.regnamespace
          AND p.proname ~ '^capture_[0-9]+$'
    )
    -- A rename and a detach cannot happen in one statement: when several relations that are no
    -- partition carry the triggers, the table is the one that still has its logged name.
    SELECT c.table_id, c.relation, NOT c.relispartition AND (c.roots = 1 OR c.same_name)
    FROM carriers AS c;
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_audited_relations() IS
    'Internal, for DDL capture: the relations carrying the capture triggers of each audited table, and which of them is the table.';

-- The relations carrying the capture triggers of a currently audited table whose name (or, with
-- by_schema, whose schema's name) is one of names, or whose qualified name is (as
-- ddl_query_relation_names writes it): found through the catalog indexes, so a DDL statement that
-- names no audited table costs next to nothing however many tables are audited.
CREATE OR REPLACE FUNCTION chronicle.ddl_named_relations(names text[], by_schema boolean)
RETURNS TABLE (table_id integer, relation regclass, is_table boolean)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN QUERY
    SELECT v.table_id, c.oid::pg_catalog.regclass, NOT c.relispartition
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_trigger AS t ON t.tgrelid = c.oid AND t.tgname = 'chronicle_capture_insert'
    JOIN pg_catalog.pg_proc AS p
      ON p.oid = t.tgfoid AND p.pronamespace = 'chronicle'::pg_catalog.regnamespace AND p.proname ~ '^capture_[0-9]+$'
    JOIN chronicle.audit_table_log AS v
      ON v.valid_until IS NULL AND v.table_id = pg_catalog.substr(p.proname, 9)::integer
    WHERE c.oid IN (SELECT x.oid FROM pg_catalog.pg_class AS x
                    WHERE NOT by_schema AND x.relname = ANY (names::name[])
                    UNION ALL
                    SELECT x.oid FROM pg_catalog.pg_class AS x
                    JOIN pg_catalog.pg_namespace AS n ON n.oid = x.relnamespace
                    WHERE NOT by_schema
                      -- the relation part of each name written as format('%I.%I') does (only those parse)
                      AND x.relname = ANY (ARRAY(SELECT (pg_catalog.parse_ident(q))[2]::name FROM pg_catalog.unnest(names) AS q
                                                 WHERE q ~ '^("([^"]|"")+"|[a-z_][a-z0-9_]*)\.("([^"]|"")+"|[a-z_][a-z0-9_]*)$'))
                      AND pg_catalog.format('%I.%I', n.nspname, x.relname) = ANY (names)
                    UNION ALL
                    SELECT x.oid FROM pg_catalog.pg_class AS x
                    JOIN pg_catalog.pg_namespace AS n ON n.oid = x.relnamespace
                    WHERE by_schema AND n.nspname = ANY (names::name[]));
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_named_relations(text[], boolean) IS
    'Internal, for DDL capture: the audited tables and partitions with one of the given names (or in one of the given schemas).';

-- The audited tables whose catalog no longer matches their logged current version: another name
-- or schema, other columns (name, type, default, NOT NULL, generated, identity), or a logged key
-- that no longer has its unique index. One set-based pass over every audited table, for the DDL
-- that can change a table only through a dependency (DROP TYPE ... CASCADE, DROP INDEX, ALTER
-- SCHEMA ... RENAME, ...): only the tables found are then synced one by one.
CREATE OR REPLACE FUNCTION chronicle.ddl_changed_tables()
RETURNS TABLE (table_id integer, relation regclass)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN QUERY
    SELECT r.table_id, r.relation
    FROM chronicle.ddl_audited_relations() AS r
    JOIN chronicle.audit_table_log AS v ON v.table_id = r.table_id AND v.valid_until IS NULL
    JOIN pg_catalog.pg_class AS c ON c.oid = r.relation
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE r.is_table
      AND (n.nspname <> v.schema_name OR c.relname <> v.table_name
           OR (SELECT pg_catalog.string_agg(pg_catalog.format('%s %s %s %s %s %s %s', l.ordinal_position, l.column_name, l.data_type,
                                                              l.column_default, l.not_null, l.generated, l.identity), ',' ORDER BY l.ordinal_position)
               FROM chronicle.audit_column_log AS l WHERE l.table_id = r.table_id AND l.valid_until IS NULL)
              IS DISTINCT FROM
              (SELECT pg_catalog.string_agg(pg_catalog.format('%s %s %s %s %s %s %s', a.attnum, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
                                                              pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attnotnull,
                                                              CASE a.attgenerated WHEN 's' THEN 'STORED' WHEN 'v' THEN 'VIRTUAL' END,
                                                              CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' END), ',' ORDER BY a.attnum)
               FROM pg_catalog.pg_attribute AS a
               LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
               WHERE a.attrelid = r.relation AND a.attnum > 0 AND NOT a.attisdropped)
           OR NOT EXISTS (
               SELECT FROM pg_catalog.pg_index AS i
               WHERE i.indrelid = r.relation AND i.indisunique AND i.indimmediate AND i.indpred IS NULL AND i.indexprs IS NULL
                 AND i.indnkeyatts = pg_catalog.cardinality(v.key_columns)
                 AND ARRAY(SELECT a.attname FROM pg_catalog.unnest(i.indkey::smallint[]) WITH ORDINALITY AS k(attnum, ord)
                           JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                           WHERE k.ord <= i.indnkeyatts ORDER BY k.ord) = v.key_columns));
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_changed_tables() IS
    'Internal, for DDL capture: the audited tables whose catalog differs from their logged current version.';

-- One DDL event of a table in this transaction; returns its id.
CREATE OR REPLACE FUNCTION chronicle.ddl_log_event(table_id integer, operation text, ddl jsonb)
RETURNS bigint
LANGUAGE sql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    INSERT INTO chronicle.table_event_log (transaction_id, table_id, operation, ddl)
    VALUES (chronicle.log_transaction(), ddl_log_event.table_id, ddl_log_event.operation::chronicle.event_operation, ddl_log_event.ddl)
    RETURNING id
$function$;

COMMENT ON FUNCTION chronicle.ddl_log_event(integer, text, jsonb) IS
    'Internal, for DDL capture: logs one DDL event and returns its id.';

-- Logs the rows of a relation as one event of an audited table: row key plus, per the table's
-- options, the values given (columns NULL: the whole row; otherwise those columns only), as old
-- or new data. Values are written as the capture functions write them, under the same settings.
CREATE OR REPLACE FUNCTION chronicle.ddl_log_rows(
    table_id integer, relation regclass, only_relation boolean, operation text, ddl jsonb,
    columns name[], as_new_data boolean)
RETURNS bigint
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
    v_key text;
    v_data text;
    v_source text := '';
    v_event bigint;
BEGIN
    SELECT * INTO STRICT v_version FROM chronicle.audit_table_log AS t
    WHERE t.table_id = ddl_log_rows.table_id AND t.valid_until IS NULL;
    v_key := chronicle.capture_key_expression(relation, v_version.key_columns, 't');
    IF columns IS NULL THEN
        v_data := chronicle.capture_whole_row(relation, 't', v_version.excluded_columns);
        v_source := chronicle.capture_whole_row_source(relation, 't', v_version.excluded_columns);
    ELSE
        SELECT 'pg_catalog.jsonb_build_object(' || pg_catalog.string_agg(
                   pg_catalog.format('%L, %s', a.attname, chronicle.capture_object_value(a.atttypid, pg_catalog.format('t.%I', a.attname))),
                   ', ' ORDER BY chronicle.capture_key_rank(a.attname)) || ')'
        INTO v_data
        FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped AND a.attname = ANY (columns);
    END IF;
    v_event := chronicle.ddl_log_event(table_id, operation, ddl);
    EXECUTE pg_catalog.format($sql$
        INSERT INTO chronicle.row_log (event_id, table_id, row_key, old_data, new_data)
        SELECT %1$s, %2$s, %3$s, %4$s, %5$s
        FROM %6$s %7$s AS t%8$s$sql$,
        v_event, table_id, v_key,
        CASE WHEN NOT as_new_data AND v_version.log_old_data THEN coalesce(v_data, '''{}''::jsonb') ELSE 'NULL' END,
        CASE WHEN as_new_data THEN coalesce(v_data, '''{}''::jsonb') ELSE 'NULL' END,
        CASE WHEN only_relation THEN 'ONLY' ELSE '' END, relation, v_source);
    RETURN v_event;
END
$function$;

COMMENT ON FUNCTION chronicle.ddl_log_rows(integer, regclass, boolean, text, jsonb, name[], boolean) IS
    'Internal, for DDL capture: logs the rows of a relation (whole, or some columns) as one event of an audited table.';
