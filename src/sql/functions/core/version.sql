CREATE OR REPLACE FUNCTION chronicle.version()
RETURNS text
LANGUAGE sql
STABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT e.extversion FROM pg_catalog.pg_extension e WHERE e.extname = 'chronicle'
$function$;

COMMENT ON FUNCTION chronicle.version() IS
    'Version of the chronicle extension installed in this database.';
