-- Stamps chronicle.transaction_log.committed_at as the transaction commits: a deferred
-- constraint trigger on the transaction's log row runs when the commit begins, after all of the
-- transaction's statements. Commit order is what a timestamp point means (docs/time-travel.md):
-- a transaction that waited for another's row lock stamps after that one committed, so the
-- stamps order every row's changes as they happened.
--
-- The UPDATE is of the row inserted by this transaction, on a page kept with room for it
-- (fillfactor 90) and with no btree on the column, so it is a HOT update (on PostgreSQL 16 and
-- later; before 16 the BRIN index on the column prevents HOT).
CREATE OR REPLACE FUNCTION chronicle.stamp_commit()
RETURNS trigger
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
-- a plan cached while the table was empty must not scan it whole later (see log_transaction)
SET enable_seqscan = off
AS $function$
BEGIN
    -- a row that comes with its stamp (a restored dump loads the log with COPY) keeps it
    IF NEW.committed_at IS NOT NULL THEN
        RETURN NULL;
    END IF;
    UPDATE chronicle.transaction_log SET committed_at = pg_catalog.clock_timestamp() WHERE id = NEW.id;
    RETURN NULL;
END
$function$;

COMMENT ON FUNCTION chronicle.stamp_commit() IS
    'Internal, a deferred trigger on chronicle.transaction_log: stamps committed_at as the transaction commits.';
