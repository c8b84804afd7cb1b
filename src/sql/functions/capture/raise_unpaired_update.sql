-- Called by generated UPDATE capture when the OLD and NEW transition tables do not hold the same
-- number of rows, so rows cannot be paired by position. PostgreSQL fills both in step, one pair
-- per updated row; the only known exception is a row moved to another partition whose BEFORE
-- INSERT trigger then skips it. Logging a guess would corrupt history, so the statement fails.
CREATE OR REPLACE FUNCTION chronicle.raise_unpaired_update(table_id bigint)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RAISE EXCEPTION 'chronicle cannot pair the old and new rows of an UPDATE on audited table id %', table_id
        USING ERRCODE = 'P0001',
              DETAIL = 'The statement''s OLD and NEW transition tables differ in size.',
              HINT = 'A BEFORE INSERT trigger on a partition skipped a row moved by the UPDATE; update that row in two statements.';
END
$function$;

COMMENT ON FUNCTION chronicle.raise_unpaired_update(bigint) IS
    'Internal, for the capture triggers: fails an UPDATE whose old and new rows cannot be paired.';
