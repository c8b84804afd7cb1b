-- The row key of a table that may be audited: its primary key, else its first unique,
-- non-partial key on plain NOT NULL columns. Raises a clear error for anything that cannot be
-- audited, so the setup functions can check every table before they change anything.
CREATE OR REPLACE FUNCTION chronicle.audit_key_columns(table_name regclass)
RETURNS name[]
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_class record;
    v_key name[];
    v_parent regclass;
BEGIN
    IF table_name IS NULL THEN
        RAISE EXCEPTION 'table_name must not be NULL' USING ERRCODE = '22004';
    END IF;
    SELECT c.relkind, c.relpersistence, c.relispartition, c.relhassubclass, n.nspname
    INTO v_class
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE c.oid = table_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'relation with OID % does not exist', table_name::oid USING ERRCODE = '42P01';
    END IF;

    IF v_class.nspname = 'chronicle' THEN
        RAISE EXCEPTION 'cannot audit %: it belongs to chronicle', table_name
            USING ERRCODE = '42809', HINT = 'chronicle''s own tables are its log; they are never audited.';
    END IF;
    IF v_class.nspname IN ('pg_catalog', 'information_schema', 'pg_toast') THEN
        RAISE EXCEPTION 'cannot audit system relation %', table_name USING ERRCODE = '42809';
    END IF;
    IF v_class.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION 'cannot audit %: it is not a table', table_name
            USING ERRCODE = '42809', HINT = 'Audit the tables that a view or foreign table reads or writes.';
    END IF;
    IF v_class.relpersistence = 't' THEN
        RAISE EXCEPTION 'cannot audit temporary table %', table_name USING ERRCODE = '0A000';
    END IF;
    IF v_class.relispartition THEN
        SELECT i.inhparent::regclass INTO v_parent
        FROM pg_catalog.pg_inherits AS i WHERE i.inhrelid = table_name;
        RAISE EXCEPTION 'cannot audit % on its own: it is a partition of %', table_name, v_parent
            USING ERRCODE = '0A000',
                  HINT = 'Audit the partitioned table: its audit covers every partition, whichever relation a statement names.';
    END IF;
    IF v_class.relkind = 'r'
       AND (v_class.relhassubclass OR EXISTS (SELECT FROM pg_catalog.pg_inherits AS i WHERE i.inhrelid = table_name)) THEN
        RAISE EXCEPTION 'cannot audit %: it takes part in table inheritance', table_name
            USING ERRCODE = '0A000', HINT = 'Only plain and partitioned tables can be audited.';
    END IF;

    SELECT pg_catalog.array_agg(a.attname ORDER BY k.ord) INTO v_key
    FROM (
        SELECT i.indkey, i.indnkeyatts
        FROM pg_catalog.pg_index AS i
        JOIN pg_catalog.pg_class AS ic ON ic.oid = i.indexrelid
        WHERE i.indrelid = table_name
          AND i.indisunique
          -- A deferrable key lets two rows share a key between statements of a transaction, and
          -- then a logged key no longer names one row.
          AND i.indimmediate
          AND i.indpred IS NULL
          AND i.indexprs IS NULL
          AND (i.indisprimary OR NOT EXISTS (
                SELECT FROM pg_catalog.pg_attribute AS a
                WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) AND NOT a.attnotnull))
        ORDER BY i.indisprimary DESC, i.indnkeyatts, ic.relname
        LIMIT 1
    ) AS chosen
    CROSS JOIN LATERAL pg_catalog.unnest(chosen.indkey::smallint[]) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = table_name AND a.attnum = k.attnum
    WHERE k.ord <= chosen.indnkeyatts;

    IF v_key IS NULL AND EXISTS (SELECT FROM pg_catalog.pg_index AS i
                                 WHERE i.indrelid = table_name AND i.indisunique AND NOT i.indimmediate) THEN
        RAISE EXCEPTION 'cannot audit %: its keys are deferrable', table_name
            USING ERRCODE = '55000',
                  HINT = 'A deferrable key lets two rows share a key inside a transaction, so a logged key would not name one row: '
                         'make the key NOT DEFERRABLE, or add a unique constraint on NOT NULL columns that is not deferrable.';
    END IF;
    IF v_key IS NULL THEN
        RAISE EXCEPTION 'cannot audit %: it has no primary key and no unique key on NOT NULL columns', table_name
            USING ERRCODE = '55000',
                  HINT = 'chronicle identifies rows by their key: add a primary key (or a unique constraint on NOT NULL columns) and try again.';
    END IF;
    RETURN v_key;
END
$function$;

COMMENT ON FUNCTION chronicle.audit_key_columns(regclass) IS
    'Internal: the row key columns chronicle would use for a table, or an error saying why the table cannot be audited.';

-- The current audit_table_log version of a table, found by its current schema and name.
CREATE OR REPLACE FUNCTION chronicle.current_table_version(table_name regclass)
RETURNS chronicle.audit_table_log
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT t.*
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN chronicle.audit_table_log AS t
      ON t.schema_name = n.nspname AND t.table_name = c.relname AND t.valid_until IS NULL
    WHERE c.oid = current_table_version.table_name
$function$;

COMMENT ON FUNCTION chronicle.current_table_version(regclass) IS
    'Internal: the current chronicle.audit_table_log row of an audited table, or NULL.';
