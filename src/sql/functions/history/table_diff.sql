-- What changed in an audited table between two points (docs/time-travel.md, "Differences"): the
-- two states, matched by the values of their row keys, compared row by row as jsonb. Only the
-- rows that differ are taken apart column by column. Values are compared by their jsonb text,
-- not by jsonb equality, which takes numbers as equal by value: numeric 1.5 and 1.50 differ.
CREATE OR REPLACE FUNCTION chronicle.table_diff_at(table_id integer, from_cut chronicle.cut, to_cut chronicle.cut)
RETURNS TABLE (change text, row_key jsonb, old_values jsonb, new_values jsonb)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_from_key name[] := (chronicle.state_version(table_id, from_cut)).key_columns;
    v_to_key name[] := (chronicle.state_version(table_id, to_cut)).key_columns;
BEGIN
    IF pg_catalog.cardinality(v_from_key) <> pg_catalog.cardinality(v_to_key) THEN
        RAISE EXCEPTION 'the row key of table id % changed between % and %', table_id, (from_cut).description, (to_cut).description
            USING ERRCODE = 'feature_not_supported', HINT = 'Rows are matched by their key; compare points on the same side of the key change.';
    END IF;
    RETURN QUERY
    WITH before AS (
        SELECT r AS data, (SELECT pg_catalog.jsonb_agg(r -> k ORDER BY o) FROM pg_catalog.unnest(v_from_key) WITH ORDINALITY AS u(k, o)) AS key_values
        FROM chronicle.state_rows_jsonb(table_id, from_cut) AS r
    ), after AS (
        SELECT r AS data, (SELECT pg_catalog.jsonb_agg(r -> k ORDER BY o) FROM pg_catalog.unnest(v_to_key) WITH ORDINALITY AS u(k, o)) AS key_values
        FROM chronicle.state_rows_jsonb(table_id, to_cut) AS r
    )
    SELECT CASE WHEN b.data IS NULL THEN 'INSERT' WHEN a.data IS NULL THEN 'DELETE' ELSE 'UPDATE' END,
           CASE WHEN a.data IS NULL
                THEN (SELECT pg_catalog.jsonb_object_agg(k, b.data -> k) FROM pg_catalog.unnest(v_from_key) AS k)
                ELSE (SELECT pg_catalog.jsonb_object_agg(k, a.data -> k) FROM pg_catalog.unnest(v_to_key) AS k) END,
           CASE WHEN b.data IS NULL THEN NULL WHEN a.data IS NULL THEN b.data
                ELSE (SELECT pg_catalog.jsonb_object_agg(x.key, x.value) FROM pg_catalog.jsonb_each(b.data) AS x
                      WHERE NOT (a.data ? x.key AND (a.data -> x.key)::text = x.value::text)) END,
           CASE WHEN a.data IS NULL THEN NULL WHEN b.data IS NULL THEN a.data
                ELSE (SELECT pg_catalog.jsonb_object_agg(x.key, x.value) FROM pg_catalog.jsonb_each(a.data) AS x
                      WHERE NOT (b.data ? x.key AND (b.data -> x.key)::text = x.value::text)) END
    FROM before AS b
    FULL JOIN after AS a ON a.key_values = b.key_values
    WHERE a.data::text IS DISTINCT FROM b.data::text;
END
$function$;

CREATE OR REPLACE FUNCTION chronicle.table_diff(relation regclass, from_point text, to_point text)
RETURNS TABLE (change text, row_key jsonb, old_values jsonb, new_values jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT * FROM chronicle.table_diff_at(chronicle.history_table_id(relation), chronicle.cut(from_point), chronicle.cut(to_point)) $function$;

CREATE OR REPLACE FUNCTION chronicle.table_diff(relation regclass, from_point timestamptz, to_point timestamptz)
RETURNS TABLE (change text, row_key jsonb, old_values jsonb, new_values jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT * FROM chronicle.table_diff_at(chronicle.history_table_id(relation), chronicle.cut(from_point), chronicle.cut(to_point)) $function$;

CREATE OR REPLACE FUNCTION chronicle.table_diff(relation regclass, from_point bigint, to_point bigint)
RETURNS TABLE (change text, row_key jsonb, old_values jsonb, new_values jsonb)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp
AS $function$ SELECT * FROM chronicle.table_diff_at(chronicle.history_table_id(relation), chronicle.cut(from_point), chronicle.cut(to_point)) $function$;

COMMENT ON FUNCTION chronicle.table_diff_at(integer, chronicle.cut, chronicle.cut) IS 'Internal: table_diff between two cuts.';
COMMENT ON FUNCTION chronicle.table_diff(regclass, text, text) IS
    'The rows of an audited table inserted, deleted and changed between two points (mark names or timestamps), with old and new values.';
COMMENT ON FUNCTION chronicle.table_diff(regclass, timestamptz, timestamptz) IS 'The rows of an audited table inserted, deleted and changed between two timestamps.';
COMMENT ON FUNCTION chronicle.table_diff(regclass, bigint, bigint) IS 'The rows of an audited table inserted, deleted and changed between two transactions.';
