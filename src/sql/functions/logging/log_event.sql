-- Statement order within a transaction (docs/log-tables.md, "Order of changes").
--
-- Event ids are drawn when a statement's capture trigger runs, after the statement's rows changed.
-- That orders changes right between transactions (a row changed by two transactions is locked by
-- the first until it commits), but not within one: a statement run by a trigger or a foreign-key
-- cascade finishes, and logs, before the statement that ran it, though it changed its rows after.
-- So every audited statement draws a stamp when it starts (BEFORE STATEMENT), a nested statement
-- logs the stamps of the audited statements around it, and a statement that logs after nested
-- ones takes the place of the first of them (statement_order).

-- BEFORE STATEMENT trigger of audited tables: draws the statement's stamp at its nesting depth.
CREATE OR REPLACE FUNCTION chronicle.stamp_statement()
RETURNS trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_stamp bigint;
BEGIN
    -- (an assignment is evaluated as a simple expression; PERFORM would start an executor)
    v_stamp := pg_catalog.nextval(CASE pg_catalog.pg_trigger_depth()
        WHEN 1 THEN 'chronicle.statement_stamp_1'::regclass
        WHEN 2 THEN 'chronicle.statement_stamp_2'::regclass
        WHEN 3 THEN 'chronicle.statement_stamp_3'::regclass
        WHEN 4 THEN 'chronicle.statement_stamp_4'::regclass
        WHEN 5 THEN 'chronicle.statement_stamp_5'::regclass
        WHEN 6 THEN 'chronicle.statement_stamp_6'::regclass
        WHEN 7 THEN 'chronicle.statement_stamp_7'::regclass
        END);
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION chronicle.stamp_statement() IS
    'Internal, BEFORE STATEMENT trigger of audited tables: marks the start of an audited statement at its nesting depth.';

-- The stamp of the audited statement running at a depth in this session; NULL where no audited
-- statement ran at that depth yet, and beyond depth 7 (deeper statements are ordered as logged).
CREATE OR REPLACE FUNCTION chronicle.statement_stamp(depth integer)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF depth < 1 OR depth > 7 THEN
        RETURN NULL;
    END IF;
    RETURN pg_catalog.currval(pg_catalog.format('chronicle.statement_stamp_%s', depth)::regclass);
EXCEPTION WHEN object_not_in_prerequisite_state THEN
    -- currval before any nextval in this session
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION chronicle.statement_stamp(integer) IS
    'Internal: stamp of the audited statement running at a trigger nesting depth in this session, or NULL.';

-- Called by the capture triggers of audited tables once per statement that changed rows: logs the
-- transaction on first use (chronicle.log_transaction) and the statement's event; returns its id.
--
-- A nested statement (trigger depth above 1) records the stamps of the audited statements around
-- it, and sets chronicle.nested_event_transaction to the transaction, so the statements around it
-- look for it when they log. The setting is only a hint to look: what is found is checked against
-- the stamps, which no role can forge; a role that resets the setting only loses the reordering of
-- its own transaction's nested statements.
CREATE OR REPLACE FUNCTION chronicle.log_event(table_id integer, operation chronicle.event_operation)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_transaction_id bigint := chronicle.log_transaction();
    v_depth integer := pg_catalog.pg_trigger_depth();
    v_id bigint := pg_catalog.nextval('chronicle.table_event_log_id_seq'::regclass);
    v_order bigint := v_id;
    v_enclosing bigint[];
    v_stamp bigint;
BEGIN
    IF v_depth > 1 THEN
        SELECT pg_catalog.array_agg(chronicle.statement_stamp(d) ORDER BY d) INTO v_enclosing
        FROM pg_catalog.generate_series(1, v_depth - 1) AS d;
        PERFORM pg_catalog.set_config('chronicle.nested_event_transaction', v_transaction_id::text, false);
    END IF;
    -- Statements nested in this one logged before it: it started first, so it takes the place of
    -- the first of them. Only AFTER triggers log after what they ran: TRUNCATE logs from its
    -- BEFORE trigger, and a BASELINE outside any trigger.
    IF operation IN ('INSERT', 'UPDATE', 'DELETE')
       AND pg_catalog.current_setting('chronicle.nested_event_transaction', true) = v_transaction_id::text THEN
        v_stamp := chronicle.statement_stamp(v_depth);
        IF v_stamp IS NOT NULL THEN
            SELECT LEAST(v_id, pg_catalog.min(e.statement_order)) INTO v_order
            FROM chronicle.table_event_log AS e
            WHERE e.transaction_id = v_transaction_id AND e.nesting_depth > 1
              AND e.nesting_depth > v_depth AND e.enclosing_stamps[v_depth] = v_stamp AND e.id < v_id;
        END IF;
    END IF;
    INSERT INTO chronicle.table_event_log
        (id, transaction_id, table_id, operation, nesting_depth, statement_order, enclosing_stamps)
    OVERRIDING SYSTEM VALUE
    VALUES (v_id, v_transaction_id, table_id, operation, v_depth, v_order, v_enclosing);
    RETURN v_id;
END
$function$;

COMMENT ON FUNCTION chronicle.log_event(integer, chronicle.event_operation) IS
    'Internal, for the capture triggers: logs the statement''s event (and the transaction on first use); returns the event id.';
