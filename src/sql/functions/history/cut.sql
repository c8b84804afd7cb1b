-- Points in time and the cuts they resolve to (docs/time-travel.md, "Points in time").
--
-- A point is a mark name, a timestamptz or a transaction_log id. Three overloads take them. An
-- untyped literal such as '2026-11-01' resolves to the text overload (PostgreSQL prefers the
-- string category for unknown literals), which reads it as a timestamp whenever it is one: mark
-- names that could be read as a timestamp are refused by set_mark, so a literal never means a
-- mark by accident.

-- a timestamp: the transactions that had committed by then (in commit order, committed_at)
CREATE OR REPLACE FUNCTION chronicle.cut(point timestamptz)
RETURNS chronicle.cut
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF point IS NULL THEN
        RAISE EXCEPTION 'the point in time is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a mark name, a timestamptz or a chronicle.transaction_log id.';
    END IF;
    IF point > pg_catalog.clock_timestamp() THEN
        RAISE EXCEPTION 'the point in time % is in the future', point
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'What commits before that time is not known yet; use now() for the present state.';
    END IF;
    RETURN ROW(pg_catalog.format('timestamp %s', point), NULL, NULL, point, NULL)::chronicle.cut;
END
$function$;

-- a transaction id: that transaction and every transaction that committed before it
CREATE OR REPLACE FUNCTION chronicle.cut(point bigint)
RETURNS chronicle.cut
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_committed_at timestamptz;
    v_is_current boolean;
BEGIN
    IF point IS NULL THEN
        RAISE EXCEPTION 'the point in time is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a mark name, a timestamptz or a chronicle.transaction_log id.';
    END IF;
    -- the caller's own transaction is found as log_transaction finds it (txid and start time)
    SELECT t.committed_at,
           t.txid = pg_catalog.pg_current_xact_id_if_assigned() AND t.started_at = pg_catalog.transaction_timestamp()
    INTO v_committed_at, v_is_current
    FROM chronicle.transaction_log AS t WHERE t.id = point;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'transaction % is not in chronicle.transaction_log', point
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'A transaction point is a chronicle.transaction_log id.';
    END IF;
    -- the caller's own transaction has not committed, even when SET CONSTRAINTS ALL IMMEDIATE
    -- has stamped it early
    IF v_committed_at IS NULL OR v_is_current THEN
        RAISE EXCEPTION 'transaction % has not committed', point
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'A point is a committed transaction; this is the current one.';
    END IF;
    RETURN ROW(pg_catalog.format('transaction %s', point), NULL, NULL, v_committed_at, point)::chronicle.cut;
END
$function$;

-- text: a timestamp if it reads as one, else a mark name
CREATE OR REPLACE FUNCTION chronicle.cut(point text)
RETURNS chronicle.cut
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_timestamp timestamptz := chronicle.as_timestamp(point);
    v_mark chronicle.mark;
BEGIN
    IF point IS NULL THEN
        RAISE EXCEPTION 'the point in time is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a mark name, a timestamptz or a chronicle.transaction_log id.';
    END IF;
    IF v_timestamp IS NOT NULL THEN
        RETURN chronicle.cut(v_timestamp);
    END IF;
    SELECT * INTO v_mark FROM chronicle.mark AS m WHERE m.name = point;
    -- no mark reads as an integer (set_mark refuses such names): this was meant as a transaction
    IF NOT FOUND AND point ~ '^\s*[-+]?[0-9]+\s*$' THEN
        RAISE EXCEPTION 'there is no mark "%"', point
            USING ERRCODE = 'undefined_object',
                  HINT = pg_catalog.format('A transaction point is passed as a number, not as text: chronicle.cut(%s).', pg_catalog.btrim(point));
    END IF;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'there is no mark "%"', point
            USING ERRCODE = 'undefined_object',
                  HINT = 'A point is a mark name (chronicle.mark), a timestamptz or a chronicle.transaction_log id.';
    END IF;
    RETURN ROW(pg_catalog.format('mark "%s"', point), v_mark.snapshot, v_mark.last_transaction_id, NULL, NULL)::chronicle.cut;
END
$function$;

-- the text as a timestamptz, or NULL when it is not one (in the session's DateStyle and TimeZone,
-- as a cast would read it)
CREATE OR REPLACE FUNCTION chronicle.as_timestamp(value text)
RETURNS timestamptz
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN value::timestamptz;
EXCEPTION WHEN data_exception THEN
    RETURN NULL;
END
$function$;

-- The transaction_log ids after the cut (the changes a state at the cut undoes), read through
-- the indexes: by id and txid for a mark, by commit time for the others. The caller's own
-- transaction, which has not committed, is after every cut.
CREATE OR REPLACE FUNCTION chronicle.transactions_after(cut chronicle.cut)
RETURNS SETOF bigint
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT t.id FROM chronicle.transaction_log AS t
    WHERE cut.snapshot IS NOT NULL AND t.id > cut.last_transaction_id
    UNION
    SELECT t.id FROM chronicle.transaction_log AS t
    WHERE cut.snapshot IS NOT NULL AND t.id <= cut.last_transaction_id
      AND t.txid >= pg_catalog.pg_snapshot_xmin(cut.snapshot)
      AND NOT pg_catalog.pg_visible_in_snapshot(t.txid, cut.snapshot)
    UNION
    SELECT t.id FROM chronicle.transaction_log AS t
    WHERE cut.snapshot IS NULL AND t.committed_at >= cut.committed_until
      AND (t.committed_at > cut.committed_until OR t.id > cut.through_transaction_id)
    UNION
    -- found as log_transaction finds it (txid and start time), not by a NULL committed_at:
    -- SET CONSTRAINTS ALL IMMEDIATE stamps a transaction before it commits
    SELECT t.id FROM chronicle.transaction_log AS t
    WHERE t.txid = pg_catalog.pg_current_xact_id_if_assigned() AND t.started_at = pg_catalog.transaction_timestamp()
$function$;

-- whether one transaction is in the cut (before or at the point); plpgsql, so that its plan is
-- cached: it is called for every version of a table and its columns
CREATE OR REPLACE FUNCTION chronicle.in_cut(cut chronicle.cut, transaction_id bigint)
RETURNS boolean
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_transaction record;
BEGIN
    SELECT t.id, t.txid, t.started_at, t.committed_at INTO v_transaction
    FROM chronicle.transaction_log AS t WHERE t.id = in_cut.transaction_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    RETURN CASE
        WHEN v_transaction.committed_at IS NULL THEN false
        -- the caller's own transaction, stamped early by SET CONSTRAINTS ALL IMMEDIATE
        WHEN v_transaction.txid = pg_catalog.pg_current_xact_id_if_assigned()
             AND v_transaction.started_at = pg_catalog.transaction_timestamp() THEN false
        WHEN cut.snapshot IS NOT NULL
            THEN v_transaction.id <= cut.last_transaction_id AND pg_catalog.pg_visible_in_snapshot(v_transaction.txid, cut.snapshot)
        ELSE v_transaction.committed_at < cut.committed_until
             OR (v_transaction.committed_at = cut.committed_until AND v_transaction.id <= coalesce(cut.through_transaction_id, v_transaction.id))
        END;
END
$function$;

COMMENT ON FUNCTION chronicle.cut(timestamptz) IS 'The cut of a timestamp: the transactions committed by then.';
COMMENT ON FUNCTION chronicle.cut(bigint) IS 'The cut of a transaction_log id: it and the transactions committed before it.';
COMMENT ON FUNCTION chronicle.cut(text) IS 'The cut of a point given as text: a timestamp if it reads as one, else a mark name.';
COMMENT ON FUNCTION chronicle.as_timestamp(text) IS 'Internal: the text as a timestamptz, NULL if it is not one.';
COMMENT ON FUNCTION chronicle.transactions_after(chronicle.cut) IS 'The chronicle.transaction_log ids after a cut.';
COMMENT ON FUNCTION chronicle.in_cut(chronicle.cut, bigint) IS 'Whether a chronicle.transaction_log id is in a cut.';
