-- Values are logged as to_jsonb writes them, so that jsonb_populate_record reads them back. For
-- a few values that is not exact: to_jsonb writes float -0 as 0, drops the lower bounds of an
-- array ('[0:1]={5,6}' becomes [5, 6]), and so loses both inside arrays and composites. Such a
-- value is logged as its text form instead, a JSON string, which jsonb_populate_record also
-- reads back (through the type's input function), exactly.
--
-- These functions are used when a capture function is generated: they decide, per column type,
-- whether a value may need that, and render the test. Types that never need it cost nothing.

-- The type a type's values are logged as: the type itself, or for a domain (over domains) the
-- type it is built on; with what tells arrays (typlen -1 and an element type) and composites
-- (typtype 'c', typrelid) apart. NULL base for an unknown type.
CREATE OR REPLACE FUNCTION chronicle.capture_base_type(value_type oid, OUT base oid, OUT typtype "char", OUT typlen smallint,
                                                       OUT typelem oid, OUT typrelid oid)
RETURNS record
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_next oid := value_type;
BEGIN
    LOOP
        SELECT t.oid, t.typtype, t.typlen, t.typelem, t.typrelid, t.typbasetype
        INTO base, typtype, typlen, typelem, typrelid, v_next
        FROM pg_catalog.pg_type AS t WHERE t.oid = v_next;
        EXIT WHEN NOT FOUND OR typtype <> 'd';
    END LOOP;
END
$function$;

COMMENT ON FUNCTION chronicle.capture_base_type(oid) IS
    'Internal, for generating capture functions: the base type of a type (itself, or what a domain is built on), with its kind.';

-- Whether to_jsonb may lose something of a value of this type: float4 and float8 (-0), every
-- array (lower bounds), and composites with such a field; domains as their base type.
CREATE OR REPLACE FUNCTION chronicle.capture_type_may_lose(value_type oid)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_type record := chronicle.capture_base_type(value_type);
BEGIN
    IF v_type.base IN ('pg_catalog.float4'::pg_catalog.regtype, 'pg_catalog.float8'::pg_catalog.regtype) THEN
        RETURN true;
    END IF;
    IF v_type.typtype = 'b' AND v_type.typlen = -1 AND v_type.typelem <> 0 THEN
        RETURN true;
    END IF;
    IF v_type.typtype = 'c' THEN
        RETURN EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
                       WHERE a.attrelid = v_type.typrelid AND a.attnum > 0 AND NOT a.attisdropped
                         AND chronicle.capture_type_may_lose(a.atttypid));
    END IF;
    RETURN false;
END
$function$;

COMMENT ON FUNCTION chronicle.capture_type_may_lose(oid) IS
    'Internal, for generating capture functions: whether to_jsonb may lose part of a value of this type (float -0, array lower bounds).';

-- Whether to_jsonb of a value of this type may call a function some role wrote: for a type that
-- is not built in (an enum, a range, a type of an extension), to_jsonb uses a cast to json where
-- one exists, and the type's owner may create one at any time, with any function. The capture runs
-- as chronicle's owner, a superuser: such a function would run with its rights. So values of
-- these types, and arrays and composites holding them, are logged as their text form, written by
-- the type's output function (built in, or in C, which only a superuser installs), never by to_jsonb
-- or a cast. For enums and ranges the text form is what to_jsonb writes anyway. Domains as their
-- base type.
CREATE OR REPLACE FUNCTION chronicle.capture_type_is_user_defined(value_type oid)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_type record := chronicle.capture_base_type(value_type);
BEGIN
    IF v_type.base IS NULL THEN
        RETURN false;
    END IF;
    IF v_type.typtype = 'b' AND v_type.typlen = -1 AND v_type.typelem <> 0 THEN
        RETURN chronicle.capture_type_is_user_defined(v_type.typelem);
    END IF;
    IF v_type.typtype = 'c' THEN
        RETURN EXISTS (SELECT FROM pg_catalog.pg_attribute AS a
                       WHERE a.attrelid = v_type.typrelid AND a.attnum > 0 AND NOT a.attisdropped
                         AND chronicle.capture_type_is_user_defined(a.atttypid));
    END IF;
    -- (16384: FirstNormalObjectId, the first oid not assigned when the server was built)
    RETURN v_type.base >= 16384;
END
$function$;

COMMENT ON FUNCTION chronicle.capture_type_is_user_defined(oid) IS
    'Internal, for generating capture functions: whether to_jsonb of the type may call a cast some role wrote (values are then logged as their text form).';

-- The text of the SQL expression value, written by its type's output function: format's %s
-- calls it directly, where a cast to text could be one a role created for its own type. The one
-- spelling of every text form the log holds; for a NULL value it gives '' (see capture_text_form).
CREATE OR REPLACE FUNCTION chronicle.capture_output_text(value text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.format('pg_catalog.format(''%%s'', %s)', value)
$function$;

COMMENT ON FUNCTION chronicle.capture_output_text(text) IS
    'Internal, for generating capture SQL: the text of a value by its type''s output function (never a cast).';

-- The text form of the SQL expression value (capture_output_text), NULL for NULL.
CREATE OR REPLACE FUNCTION chronicle.capture_text_form(value text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.format('CASE WHEN pg_catalog.num_nulls(%s) OPERATOR(pg_catalog.=) 0 THEN %s END', value, chronicle.capture_output_text(value))
$function$;

COMMENT ON FUNCTION chronicle.capture_text_form(text) IS
    'Internal, for generating capture SQL: the text form of a value by its type''s output function (never a cast), NULL for NULL.';

-- The SQL condition, on the SQL expression value of the given type, that is true when to_jsonb
-- would lose part of the value, so that it must be logged as its text form; NULL when to_jsonb
-- never loses anything of that type. A value of a user-defined type is always logged as its text
-- form (capture_type_is_user_defined): the condition is that it is not NULL.
CREATE OR REPLACE FUNCTION chronicle.capture_lossy_condition(value_type oid, value text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_type record := chronicle.capture_base_type(value_type);
    -- In the text form of an array or composite: a float -0 between delimiters, or the
    -- dimensions of an array whose lower bounds are not all 1 ("[0:1]={...}"). A text field
    -- that looks the same only makes a value be logged as text, which is exact too.
    v_text_pattern constant text := '(^|[{(,])-0($|[,)}])|\]=';
BEGIN
    IF chronicle.capture_type_is_user_defined(value_type) THEN
        RETURN pg_catalog.format('pg_catalog.num_nulls(%s) OPERATOR(pg_catalog.=) 0', value);
    END IF;
    IF NOT chronicle.capture_type_may_lose(value_type) THEN
        RETURN NULL;
    END IF;
    IF v_type.base IN ('pg_catalog.float4'::pg_catalog.regtype, 'pg_catalog.float8'::pg_catalog.regtype) THEN
        -- -0 is the one float whose binary image is the sign bit alone
        RETURN pg_catalog.format('pg_catalog.float8send((%s)::pg_catalog.float8) OPERATOR(pg_catalog.=) %L::pg_catalog.bytea',
                                 value, '\x8000000000000000');
    END IF;
    IF v_type.typtype = 'b' AND NOT chronicle.capture_type_may_lose(v_type.typelem) THEN
        -- an array of exact elements: only its bounds matter, read from its (short) dimensions
        RETURN pg_catalog.format('pg_catalog.strpos(pg_catalog.replace(pg_catalog.array_dims(%s), %L, %L), %L) OPERATOR(pg_catalog.>) 0',
                                 value, '[1:', '', '[');
    END IF;
    RETURN pg_catalog.format('(%s OPERATOR(pg_catalog.~) %L)', chronicle.capture_output_text(value), v_text_pattern);
END
$function$;

COMMENT ON FUNCTION chronicle.capture_lossy_condition(oid, text) IS
    'Internal, for generating capture functions: the condition under which a value of the type must be logged as its text form; NULL if never.';

-- The jsonb of the SQL expression value of the given type as it is logged: to_jsonb's form, or
-- the text form when to_jsonb would lose part of the value.
CREATE OR REPLACE FUNCTION chronicle.capture_value_expression(value_type oid, value text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT CASE WHEN c.condition IS NULL THEN pg_catalog.format('pg_catalog.to_jsonb(%s)', value)
                ELSE pg_catalog.format('CASE WHEN %s THEN pg_catalog.to_jsonb(%s) ELSE pg_catalog.to_jsonb(%s) END',
                                       c.condition, chronicle.capture_output_text(value), value)
           END
    FROM (SELECT chronicle.capture_lossy_condition(value_type, value) AS condition) AS c
$function$;

COMMENT ON FUNCTION chronicle.capture_value_expression(oid, text) IS
    'Internal, for generating capture functions: the jsonb expression that logs a value of the type exactly.';

-- The same value as an argument of jsonb_build_object, which converts its arguments exactly as
-- to_jsonb does: the value itself where to_jsonb logs it exactly, which saves converting it
-- twice (about a third of the cost of a one-column entry), else capture_value_expression.
CREATE OR REPLACE FUNCTION chronicle.capture_object_value(value_type oid, value text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT CASE WHEN chronicle.capture_lossy_condition(value_type, value) IS NULL THEN value
                ELSE chronicle.capture_value_expression(value_type, value)
           END
$function$;

COMMENT ON FUNCTION chronicle.capture_object_value(oid, text) IS
    'Internal, for generating capture functions: the jsonb_build_object argument that logs a value of the type exactly.';

-- The place of an object key in the order jsonb keeps keys: shorter keys first, then by their
-- bytes. jsonb sorts the keys of every object it builds; keys handed over in that order cost one
-- pass, where keys in another order are sorted and moved for every object (a fifth of to_jsonb's
-- cost for a row of 8 columns, more for wide rows). Used to order the generated SQL.
CREATE OR REPLACE FUNCTION chronicle.capture_key_rank(key name)
RETURNS bytea
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.int4send(pg_catalog.octet_length(key::text))
           || pg_catalog.convert_to(key::text, pg_catalog.getdatabaseencoding())
$function$;

COMMENT ON FUNCTION chronicle.capture_key_rank(name) IS
    'Internal, for generating capture SQL: the sort key of an object key in the order jsonb keeps keys.';

-- The jsonb objects of the given expressions concatenated (||) as a balanced tree, NULL for none.
-- Concatenating copies both operands, so a chain a || b || c ... copies what it has built so far
-- at every step: quadratic in the number of non-empty parts (an UPDATE that changes all 300
-- columns of a wide row copied 45,000 values per row). A balanced tree copies each value once per
-- level. The result is the same object: the parts have distinct keys, and a part that is '{}'
-- costs next to nothing either way.
CREATE OR REPLACE FUNCTION chronicle.capture_concatenation(parts text[])
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_level text[] := parts;
    v_next text[];
BEGIN
    WHILE pg_catalog.cardinality(v_level) > 1 LOOP
        v_next := '{}';
        FOR i IN 1 .. pg_catalog.cardinality(v_level) BY 2 LOOP
            v_next := v_next || CASE WHEN i = pg_catalog.cardinality(v_level) THEN v_level[i]
                                     ELSE '(' || v_level[i] || E'\n            || ' || v_level[i + 1] || ')' END;
        END LOOP;
        v_level := v_next;
    END LOOP;
    RETURN v_level[1];
END
$function$;

COMMENT ON FUNCTION chronicle.capture_concatenation(text[]) IS
    'Internal, for generating capture functions: jsonb expressions concatenated as a balanced tree.';

-- The corrections to to_jsonb(row_alias.*) for the given columns of a relation: for each column
-- whose values to_jsonb may lose part of, "|| CASE WHEN <lossy> THEN {column: text form} ELSE
-- {} END", concatenated as a balanced tree (capture_concatenation) so the row is copied once.
-- Empty when no column needs one, so whole rows of other tables are logged as before.
-- One correction: the column as its text form when the condition holds (capture_lossy_condition),
-- else nothing; concatenated to to_jsonb of a row. Used here and by time travel's row forms.
CREATE OR REPLACE FUNCTION chronicle.capture_text_correction(column_name name, condition text, value text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.format('CASE WHEN %s THEN pg_catalog.jsonb_build_object(%L, pg_catalog.to_jsonb(%s)) ELSE ''{}''::pg_catalog.jsonb END',
                             condition, column_name, chronicle.capture_output_text(value))
$function$;

COMMENT ON FUNCTION chronicle.capture_text_correction(name, text, text) IS
    'Internal, for generating capture SQL: a correction to to_jsonb(row) that logs one column as its text form when the condition holds.';

CREATE OR REPLACE FUNCTION chronicle.capture_row_corrections(relation regclass, row_alias text, excluded_columns name[])
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT coalesce(E'\n            || ' || chronicle.capture_concatenation(pg_catalog.array_agg(
               chronicle.capture_text_correction(c.attname, c.condition, c.value)
               ORDER BY chronicle.capture_key_rank(c.attname))), '')
    FROM (SELECT a.attnum, a.attname, pg_catalog.format('%s.%I', row_alias, a.attname) AS value,
                 chronicle.capture_lossy_condition(a.atttypid, pg_catalog.format('%s.%I', row_alias, a.attname)) AS condition
          FROM pg_catalog.pg_attribute AS a
          WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped
            AND a.attname <> ALL (excluded_columns)) AS c
    WHERE c.condition IS NOT NULL
$function$;

COMMENT ON FUNCTION chronicle.capture_row_corrections(regclass, text, name[]) IS
    'Internal, for generating capture functions: corrections to to_jsonb(row) for values it would not log exactly.';

-- The columns of a relation that are never logged: the excluded ones, and the virtual generated
-- ones (PostgreSQL 18: computed when read, they hold no data; transition tables hold NULL).
CREATE OR REPLACE FUNCTION chronicle.capture_unlogged_columns(relation regclass, excluded_columns name[])
RETURNS name[]
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT excluded_columns || coalesce(pg_catalog.array_agg(a.attname ORDER BY a.attnum), '{}')
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = 'v'
$function$;

COMMENT ON FUNCTION chronicle.capture_unlogged_columns(regclass, name[]) IS
    'Internal, for generating capture statements: the excluded and virtual generated columns of a relation.';

-- The jsonb expression of a whole row of the relation, as it is logged (INSERT, DELETE,
-- TRUNCATE and BASELINE entries): to_jsonb of the row's logged columns, corrected for the values
-- to_jsonb would not log exactly. It reads the row through the FROM item of
-- capture_whole_row_source, which the statement must join after the row (same alias). Values go
-- through output functions: run the expression with the settings the capture functions fix (see
-- capture_function_definition).
CREATE OR REPLACE FUNCTION chronicle.capture_whole_row(relation regclass, row_alias text, excluded_columns name[])
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    -- (no corrections for the values of user-defined types: the source has their text forms)
    SELECT pg_catalog.format('(pg_catalog.to_jsonb(%s_logged.*)', row_alias)
           || chronicle.capture_row_corrections(relation, row_alias, chronicle.capture_unlogged_columns(relation, excluded_columns)
                  || ARRAY(SELECT a.attname FROM pg_catalog.pg_attribute AS a
                           WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped
                             AND chronicle.capture_type_is_user_defined(a.atttypid)))
           || ')'
$function$;

COMMENT ON FUNCTION chronicle.capture_whole_row(regclass, text, name[]) IS
    'Internal, for generating capture (and baseline) statements: the jsonb expression of a whole row as it is logged; needs capture_whole_row_source.';

-- The FROM item capture_whole_row reads, to join after the row alias:
-- " CROSS JOIN LATERAL (SELECT o.b, o.id, ...) AS o_logged", the logged columns in the order
-- jsonb keeps an object's keys (capture_key_rank), so to_jsonb of it finds them sorted where
-- to_jsonb(o.*) sorted them for every row. PostgreSQL flattens the subquery into a ROW of the
-- columns that keeps their names, and leaves out the unlogged columns at no cost. Columns of
-- user-defined types are there as their text forms (capture_type_is_user_defined), so that
-- to_jsonb never converts them itself.
CREATE OR REPLACE FUNCTION chronicle.capture_whole_row_source(relation regclass, row_alias text, excluded_columns name[])
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.format(' CROSS JOIN LATERAL (SELECT %s) AS %s_logged',
                             pg_catalog.string_agg(CASE WHEN chronicle.capture_type_is_user_defined(a.atttypid)
                                                        THEN pg_catalog.format('%s AS %I', chronicle.capture_text_form(pg_catalog.format('%s.%I', row_alias, a.attname)), a.attname)
                                                        ELSE pg_catalog.format('%s.%I', row_alias, a.attname) END, ', '
                                                   ORDER BY chronicle.capture_key_rank(a.attname)),
                             row_alias)
    FROM pg_catalog.pg_attribute AS a
    WHERE a.attrelid = relation AND a.attnum > 0 AND NOT a.attisdropped
      AND a.attname <> ALL (chronicle.capture_unlogged_columns(relation, excluded_columns))
$function$;

COMMENT ON FUNCTION chronicle.capture_whole_row_source(regclass, text, name[]) IS
    'Internal, for generating capture (and baseline) statements: the FROM item that capture_whole_row reads.';

-- The expression of a row's key object (row_key), from each key column's name, type and value
-- expression: the one spelling of row_key for the capture, the baseline and DDL capture. Where
-- every key column is an integer it is built cheaper than by jsonb_build_object, and the same. jsonb_build_object writes an integer by its text
-- form, read back as a JSON number, and looks up how to convert each argument on every call; the
-- object's text parsed once costs a fifth less per row, for every logged row of every bulk
-- statement. Other types keep jsonb_build_object (a numeric may be NaN, which JSON has no number
-- for; text would need escaping).
CREATE OR REPLACE FUNCTION chronicle.capture_key_object(key_columns name[], key_types oid[], key_values text[])
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT CASE
        WHEN pg_catalog.bool_and(coalesce(k.type IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype,
                                            'pg_catalog.int8'::pg_catalog.regtype), false))
        THEN '(' || pg_catalog.string_agg(pg_catalog.format('%L || (%s)::pg_catalog.text',
                                                            CASE WHEN k.ord = 1 THEN '{' ELSE ', ' END
                                                            || pg_catalog.to_json(k.name::text)::text || ': ',
                                                            k.value), ' || ' ORDER BY k.ord)
             || ' || ''}'')::pg_catalog.jsonb'
        ELSE 'pg_catalog.jsonb_build_object('
             || pg_catalog.string_agg(pg_catalog.format('%L, %s', k.name,
                                                        CASE WHEN chronicle.capture_type_is_user_defined(k.type) THEN chronicle.capture_text_form(k.value)
                                                             ELSE k.value END), ', ' ORDER BY k.ord) || ')'
    END
    FROM ROWS FROM (pg_catalog.unnest(key_columns), pg_catalog.unnest(key_types), pg_catalog.unnest(key_values))
         WITH ORDINALITY AS k(name, type, value, ord)
$function$;

COMMENT ON FUNCTION chronicle.capture_key_object(name[], oid[], text[]) IS
    'Internal, for generating capture SQL: the expression of a row''s key object from its key columns'' names, types and values.';

-- The same from a row alias of the relation, e.g. t: its key columns by name.
CREATE OR REPLACE FUNCTION chronicle.capture_key_expression(relation regclass, key_columns name[], row_alias text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT chronicle.capture_key_object(key_columns, pg_catalog.array_agg(a.atttypid ORDER BY k.ord),
                                        pg_catalog.array_agg(pg_catalog.format('%s.%I', row_alias, k.name) ORDER BY k.ord))
    FROM pg_catalog.unnest(key_columns) WITH ORDINALITY AS k(name, ord)
    LEFT JOIN pg_catalog.pg_attribute AS a ON a.attrelid = relation AND a.attname = k.name AND a.attnum > 0 AND NOT a.attisdropped
$function$;

COMMENT ON FUNCTION chronicle.capture_key_expression(regclass, name[], text) IS
    'Internal, for generating capture SQL: the expression of a row''s key object, from a row alias of the relation.';

-- Whether the logged form of a value of this type may follow the session's output settings
-- (DateStyle, IntervalStyle, extra_float_digits, bytea_output, lc_monetary): a capture function
-- fixes those settings only when its table has such a column, since fixing them costs about
-- 14,000 instructions per statement. Settings-free: to_jsonb writes numbers, booleans, strings,
-- JSON, uuids and enum labels as their settings-free text, and dates and timestamps in ISO 8601
-- whatever DateStyle is (a timestamptz in the session's time zone, with its offset: the same
-- instant). Arrays of those (but of dates and timestamps) too, also where they are logged as
-- their text form (capture_lossy_condition). Anything else, composites included, counts as
-- following the settings. Domains as their base type.
CREATE OR REPLACE FUNCTION chronicle.capture_type_follows_settings(value_type oid)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_type record := chronicle.capture_base_type(value_type);
    v_plain constant oid[] := ARRAY['pg_catalog.bool'::pg_catalog.regtype, 'pg_catalog.int2'::pg_catalog.regtype,
        'pg_catalog.int4'::pg_catalog.regtype, 'pg_catalog.int8'::pg_catalog.regtype, 'pg_catalog.numeric'::pg_catalog.regtype,
        'pg_catalog.text'::pg_catalog.regtype, 'pg_catalog.varchar'::pg_catalog.regtype, 'pg_catalog.bpchar'::pg_catalog.regtype,
        'pg_catalog.name'::pg_catalog.regtype, 'pg_catalog.char'::pg_catalog.regtype, 'pg_catalog.json'::pg_catalog.regtype,
        'pg_catalog.jsonb'::pg_catalog.regtype, 'pg_catalog.uuid'::pg_catalog.regtype, 'pg_catalog.oid'::pg_catalog.regtype]::oid[];
BEGIN
    IF v_type.base = ANY (v_plain) OR v_type.typtype = 'e'
       OR v_type.base IN ('pg_catalog.date'::pg_catalog.regtype, 'pg_catalog.timestamp'::pg_catalog.regtype,
                     'pg_catalog.timestamptz'::pg_catalog.regtype) THEN
        RETURN false;
    END IF;
    IF v_type.typtype = 'b' AND v_type.typlen = -1 AND v_type.typelem <> 0 THEN
        -- an array: logged as JSON, or as its text form when a lower bound is not 1
        v_type := chronicle.capture_base_type(v_type.typelem);
        RETURN NOT (v_type.base = ANY (v_plain) OR v_type.typtype = 'e');
    END IF;
    RETURN true;
END
$function$;

COMMENT ON FUNCTION chronicle.capture_type_follows_settings(oid) IS
    'Internal, for generating capture functions: whether the logged form of a value of the type may depend on the session''s output settings.';
