-- Renders the body (prosrc) of the capture trigger function of one audited table from its
-- current audit_table_log version and the table's columns: static SQL per table, so a statement
-- costs one set-based INSERT into the log and no catalog look-up or dynamic SQL (except TRUNCATE,
-- see below). Identifiers appear only quoted (format's %I and %L); the one in a comment has its
-- line breaks replaced, since a line break would end the comment and make the rest of the name
-- code of a SECURITY DEFINER function.
--
-- The same function serves the table and, for a partitioned table, every partition: all have
-- the same column names, and each fires only for statements that target it.
CREATE OR REPLACE FUNCTION chronicle.capture_function_source(table_id bigint, relation regclass)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_version chronicle.audit_table_log;
    v_key_types oid[];    -- of the key columns, in key order
    v_key_new text;       -- key object built from the NEW transition row n
    v_key_old text;       -- key object built from the OLD transition row o
    v_key_paired_new text;  -- key object from the positional columns of n (UPDATE)
    v_key_paired_old text;
    v_whole_new text;
    v_whole_old text;
    v_whole_table text;
    v_source_new text := '';   -- the FROM item each whole row reads (capture_whole_row_source)
    v_source_old text := '';
    v_source_table text := '';
    v_key_table text;
    v_old_diff text;
    v_new_diff text;
    v_key_changed text := '';
    v_old_row_columns text := 'r';
    v_update_old_data text;
    v_update_new_data text;
    v_unlogged name[];    -- excluded columns, and virtual generated columns (PostgreSQL 18)
    v_logged_differs text;
    v_column_select text; -- the columns of a transition table, by name, in the audited table's order
    v_update_head text;
    v_update_tail text;
    v_single_pair_tail text;
BEGIN
    SELECT * INTO v_version
    FROM chronicle.audit_table_log AS t
    WHERE t.table_id = capture_function_source.table_id AND t.valid_until IS NULL;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table id % is not audited', table_id USING ERRCODE = '42P01';
    END IF;

    v_unlogged := chronicle.capture_unlogged_columns(relation, v_version.excluded_columns);

    -- the key objects by column name (INSERT, DELETE, TRUNCATE); UPDATE's by position, below,
    -- from the key columns' types
    v_key_new := chronicle.capture_key_expression(relation, v_version.key_columns, 'n');
    v_key_old := chronicle.capture_key_expression(relation, v_version.key_columns, 'o');
    v_key_table := chronicle.capture_key_expression(relation, v_version.key_columns, 't');
    SELECT pg_catalog.array_agg(a.atttypid ORDER BY k.ord) INTO v_key_types
    FROM pg_catalog.unnest(v_version.key_columns) WITH ORDINALITY AS k(name, ord)
    LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = relation AND a.attname = k.name AND a.attnum > 0 AND NOT a.attisdropped;

    -- UPDATE reads both transition tables with positional column names c1..cN, so no user
    -- column name can clash with the row number r that pairs them.
    WITH columns AS (
        SELECT a.attname, a.atttypid,
               pg_catalog.row_number() OVER (ORDER BY a.attnum) AS alias_order,
               a.attname = ANY (v_version.key_columns) AS is_key,
               a.attname = ANY (v_unlogged) AS is_excluded,
               -- Types whose "=" holds only for identical values may use IS DISTINCT FROM; numeric
               -- adds its scale (below); any other type (jsonb, citext, json, point, domains, ...)
               -- is compared by its binary image, which also needs no equality operator and no
               -- search_path.
               (a.atttypid IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype,
                               'pg_catalog.int8'::pg_catalog.regtype, 'pg_catalog.bool'::pg_catalog.regtype,
                               'pg_catalog.date'::pg_catalog.regtype, 'pg_catalog.timestamp'::pg_catalog.regtype,
                               'pg_catalog.timestamptz'::pg_catalog.regtype, 'pg_catalog.uuid'::pg_catalog.regtype,
                               'pg_catalog.bytea'::pg_catalog.regtype, 'pg_catalog.oid'::pg_catalog.regtype)
                OR (a.atttypid IN ('pg_catalog.text'::pg_catalog.regtype, 'pg_catalog.varchar'::pg_catalog.regtype)
                    AND EXISTS (SELECT FROM pg_catalog.pg_collation AS c
                                WHERE c.oid = a.attcollation AND c.collisdeterministic))) AS exact_equality
        FROM pg_catalog.pg_attribute AS a
        WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped
    ), rendered AS (
        SELECT c.*, 'c' || c.alias_order AS alias,
               CASE WHEN c.exact_equality
                    THEN pg_catalog.format('o.c%s IS DISTINCT FROM n.c%s', c.alias_order, c.alias_order)
                    -- a numeric is its value and its scale (1.5 = 1.50): both compared cost half the
                    -- binary image, which builds a record of each side first
                    WHEN c.atttypid = 'pg_catalog.numeric'::pg_catalog.regtype
                    THEN pg_catalog.format('(o.c%1$s IS DISTINCT FROM n.c%1$s OR pg_catalog.scale(o.c%1$s) IS DISTINCT FROM pg_catalog.scale(n.c%1$s))',
                                           c.alias_order)
                    ELSE pg_catalog.format('(ROW(o.c%s)::record) *<> (ROW(n.c%s)::record)', c.alias_order, c.alias_order)
               END AS differs
        FROM columns AS c
    )
    SELECT 'r, ' || pg_catalog.string_agg(r.alias, ', ' ORDER BY r.alias_order),
           chronicle.capture_concatenation(pg_catalog.array_agg(pg_catalog.format('CASE WHEN %s THEN pg_catalog.jsonb_build_object(%L, %s) ELSE ''{}''::jsonb END', r.differs, r.attname,
                                                   chronicle.capture_object_value(r.atttypid, 'o.' || r.alias)) ORDER BY chronicle.capture_key_rank(r.attname)) FILTER (WHERE NOT r.is_excluded)),
           chronicle.capture_concatenation(pg_catalog.array_agg(pg_catalog.format('CASE WHEN %s THEN pg_catalog.jsonb_build_object(%L, %s) ELSE ''{}''::jsonb END', r.differs, r.attname,
                                                   chronicle.capture_object_value(r.atttypid, 'n.' || r.alias)) ORDER BY chronicle.capture_key_rank(r.attname)) FILTER (WHERE NOT r.is_excluded)),
           pg_catalog.string_agg(r.differs, ' OR ' ORDER BY r.alias_order) FILTER (WHERE r.is_key),
           pg_catalog.string_agg(r.differs, E'\n               OR ' ORDER BY r.alias_order) FILTER (WHERE NOT r.is_excluded),
           chronicle.capture_key_object(v_version.key_columns, v_key_types,
                                        pg_catalog.array_agg('n.' || r.alias ORDER BY r.key_order) FILTER (WHERE r.is_key)),
           chronicle.capture_key_object(v_version.key_columns, v_key_types,
                                        pg_catalog.array_agg('o.' || r.alias ORDER BY r.key_order) FILTER (WHERE r.is_key)),
           pg_catalog.string_agg(pg_catalog.format('t.%I', r.attname), ', ' ORDER BY r.alias_order)
    INTO v_old_row_columns, v_old_diff, v_new_diff, v_key_changed, v_logged_differs, v_key_paired_new, v_key_paired_old, v_column_select
    FROM (SELECT rd.*,
                 pg_catalog.array_position(v_version.key_columns, rd.attname) AS key_order
          FROM rendered AS rd) AS r;

    -- (every column's CASE is an object, so they concatenate without a '{}' to start from; in
    -- the order jsonb keeps keys, and as a tree, they need no sorting and no quadratic copying)
    IF v_version.log_old_data THEN
        v_update_old_data := coalesce(v_old_diff, '''{}''::jsonb');
    ELSE
        -- Without old data, an UPDATE that moves a row to another key still records the old key:
        -- nothing else could find the row's earlier identity.
        v_update_old_data := pg_catalog.format('CASE WHEN %s THEN %s END', v_key_changed, v_key_paired_old);
    END IF;
    v_update_new_data := CASE WHEN v_version.log_new_data THEN coalesce(v_new_diff, '''{}''::jsonb') ELSE 'NULL::jsonb' END;

    -- Rows are kept when a logged column differs (a change to excluded columns only is not
    -- logged): the per-column tests stop at the first difference, where comparing whole rows
    -- would build both rows as records first (about 1 µs a row).
    -- Whole rows: to_jsonb of the row's logged columns, corrected for the values it would not
    -- log exactly.
    v_whole_new := 'NULL::jsonb';
    v_whole_old := 'NULL::jsonb';
    v_whole_table := 'NULL::jsonb';
    IF v_version.log_new_data THEN
        v_whole_new := chronicle.capture_whole_row(relation, 'n', v_version.excluded_columns);
        v_source_new := chronicle.capture_whole_row_source(relation, 'n', v_version.excluded_columns);
    END IF;
    IF v_version.log_old_data THEN
        v_whole_old := chronicle.capture_whole_row(relation, 'o', v_version.excluded_columns);
        v_source_old := chronicle.capture_whole_row_source(relation, 'o', v_version.excluded_columns);
        -- (the TRUNCATE statement is a format() string itself, run with the relation as argument:
        -- a % in a column name must be doubled, here and in the key)
        v_whole_table := pg_catalog.replace(chronicle.capture_whole_row(relation, 't', v_version.excluded_columns), '%', '%%');
        v_source_table := pg_catalog.replace(chronicle.capture_whole_row_source(relation, 't', v_version.excluded_columns), '%', '%%');
    END IF;

    -- The UPDATE statement around its pairing of old and new rows (FROM ... below). The changes
    -- are a subquery, not a CTE: a CTE read twice (for the event, then for the entries) would be
    -- stored whole first, on disk beyond work_mem. (The call that fails an unpaired row is
    -- volatile, so PostgreSQL keeps that column although nothing reads it.)
    v_update_head := pg_catalog.format($update$INSERT INTO chronicle.row_log (event_id, table_id, row_key, old_data, new_data)
            SELECT (SELECT chronicle.log_event(%1$s, 'UPDATE')), %1$s, c.row_key, c.old_data, c.new_data
            FROM (
                SELECT CASE WHEN o.r IS NULL OR n.r IS NULL THEN chronicle.raise_unpaired_update(%1$s) END AS unpaired,
                       %2$s AS row_key,
                       %3$s AS old_data,
                       %4$s AS new_data
                FROM $update$, table_id, v_key_paired_new, v_update_old_data, v_update_new_data);
    v_update_tail := pg_catalog.format($update$
                WHERE o.r IS NULL OR n.r IS NULL OR %1$s
            ) AS c;$update$, v_logged_differs);
    -- A single pair keeps its row when the logged diff is not empty, which is the same test: the
    -- diff holds exactly the logged columns that differ. Setting up the expressions of the tests
    -- a second time would cost a single-row statement more than running them (about 30,000
    -- instructions for eight columns); OFFSET 0 keeps PostgreSQL from copying the diff into the
    -- WHERE clause. Many pairs keep the tests before the diff: they stop at the first difference.
    -- Without old data the diff is the new data's, and without either there is none to test.
    v_single_pair_tail := CASE
        WHEN v_version.log_old_data OR v_version.log_new_data THEN pg_catalog.format($update$
                OFFSET 0
            ) AS c
            WHERE c.%1$s OPERATOR(pg_catalog.<>) '{}'::jsonb;$update$, CASE WHEN v_version.log_old_data THEN 'old_data' ELSE 'new_data' END)
        ELSE v_update_tail
    END;

    RETURN pg_catalog.format($template$
-- Generated by chronicle for %1$s (table id %2$s): regenerated whenever the table or its
-- audit options change. Do not edit.
--
-- Values are logged as to_jsonb writes them, which for floats, intervals, ranges, money and the
-- text forms above goes through the type's output function: where the table has such a column,
-- the settings that change that output are fixed (above), so what is logged never depends on
-- the session that wrote it and always reads back exactly (extra_float_digits > 0: shortest
-- exact floats).
--
-- Each statement logs its event through an uncorrelated subquery, which PostgreSQL runs once,
-- when the first entry is written: a statement that changed no logged row logs no event.
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO chronicle.row_log (event_id, table_id, row_key, old_data, new_data)
        SELECT (SELECT chronicle.log_event(%2$s, 'INSERT')), %2$s, %3$s, NULL, %5$s
        FROM new_rows AS n%10$s;
    ELSIF TG_OP = 'UPDATE' THEN
        -- PostgreSQL writes the OLD and NEW transition tables in step, one pair per updated row,
        -- so rows pair by position even when the update changes their key. Their columns are
        -- taken by name: a partition's own columns may be in another order than the table's.
        -- A single pair needs no numbering and no join: setting those up costs more than the rest
        -- of a single-row statement's logging.
        IF EXISTS (SELECT FROM old_rows) AND NOT EXISTS (SELECT FROM old_rows OFFSET 1)
           AND EXISTS (SELECT FROM new_rows) AND NOT EXISTS (SELECT FROM new_rows OFFSET 1) THEN
            %7$s
        ELSE
            %8$s
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO chronicle.row_log (event_id, table_id, row_key, old_data, new_data)
        SELECT (SELECT chronicle.log_event(%2$s, 'DELETE')), %2$s, %4$s, %6$s, NULL
        FROM old_rows AS o%11$s;
    ELSE
        -- BEFORE TRUNCATE: log the rows about to go. ONLY, because truncating a partitioned
        -- table fires this trigger on each partition too, and each logs its own rows. The
        -- relation is the one the trigger fires on, so this is the one dynamic statement.
        EXECUTE pg_catalog.format(%9$L, pg_catalog.quote_ident(TG_TABLE_SCHEMA) || '.' || pg_catalog.quote_ident(TG_TABLE_NAME));
    END IF;
    RETURN NULL;
END
$template$,
        pg_catalog.translate(pg_catalog.format('%I.%I', v_version.schema_name, v_version.table_name), E'\r\n', '  '), table_id,
        v_key_new, v_key_old, v_whole_new, v_whole_old,
        v_update_head || pg_catalog.format('(SELECT 1, %1$s FROM old_rows AS t) AS o(%2$s)
                CROSS JOIN (SELECT 1, %1$s FROM new_rows AS t) AS n(%2$s)', v_column_select, v_old_row_columns) || v_single_pair_tail,
        v_update_head || pg_catalog.format('(SELECT pg_catalog.row_number() OVER (), %1$s FROM old_rows AS t) AS o(%2$s)
                FULL JOIN (SELECT pg_catalog.row_number() OVER (), %1$s FROM new_rows AS t) AS n(%2$s) ON o.r = n.r', v_column_select, v_old_row_columns) || v_update_tail,
        pg_catalog.format($truncate$
        INSERT INTO chronicle.row_log (event_id, table_id, row_key, old_data, new_data)
        SELECT (SELECT chronicle.log_event(%1$s, 'TRUNCATE')), %1$s, %2$s, %3$s, NULL
        FROM ONLY %%1$s AS t%4$s$truncate$, table_id, pg_catalog.replace(v_key_table, '%', '%%'), v_whole_table, v_source_table),
        v_source_new, v_source_old);
END
$function$;

COMMENT ON FUNCTION chronicle.capture_function_source(bigint, regclass) IS
    'Internal: the body of the capture trigger function of an audited table, as pg_proc.prosrc holds it.';

-- The CREATE FUNCTION statement around that body. Its dollar quotes take a tag the body does not
-- hold (a column may be named "$capture$"), so the body can never end the quotes early.
CREATE OR REPLACE FUNCTION chronicle.capture_function_definition(table_id bigint, relation regclass)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_body text := chronicle.capture_function_source(table_id, relation);
    v_tag text := '$capture$';
    v_settings text := '';
BEGIN
    -- the output settings that values of the table's columns may follow (capture_type_follows_settings)
    IF EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
               WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped
                 AND chronicle.capture_type_follows_settings(a.atttypid)) THEN
        v_settings := $settings$
SET DateStyle = 'ISO, MDY'
SET IntervalStyle = 'postgres'
SET extra_float_digits = 1
SET bytea_output = 'hex'
SET lc_monetary = 'C'$settings$;
    END IF;
    -- (the tag is searched in the body followed by the tag itself: a body ending in "$capture"
    -- would close "$capture$" early too)
    WHILE pg_catalog.strpos(v_body || v_tag, v_tag) <= pg_catalog.length(v_body) LOOP
        v_tag := pg_catalog.rtrim(v_tag, '$') || '_$';
    END LOOP;
    RETURN pg_catalog.format($template$
CREATE OR REPLACE FUNCTION chronicle.%1$I()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp%4$s
AS %2$s%3$s%2$s
$template$, 'capture_' || table_id, v_tag, v_body, v_settings);
END
$function$;

COMMENT ON FUNCTION chronicle.capture_function_definition(bigint, regclass) IS
    'Internal: the CREATE FUNCTION statement of the capture trigger function of an audited table.';
