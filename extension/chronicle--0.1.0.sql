-- chronicle 0.1.0 install script
-- GENERATED FILE, do not edit: made by `npm run generate` from src/sql/ and control/.

-- complain if this script is sourced in psql rather than run by the extension machinery
\echo Use "CREATE EXTENSION chronicle" to load this file. \quit

-- every name below is schema-qualified; nothing may resolve through the caller's path
SET LOCAL search_path = pg_catalog, pg_temp;

-- ==== migration step 0.1.0
-- Release 0.1.0: the chronicle schema itself.
-- PostgreSQL creates the schema named in chronicle.control before this script runs. Refuse to
-- install into a schema that already holds objects: they could be planted by another role, and
-- the extension's functions would resolve to them.
DO $guard$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_class c
                WHERE c.relnamespace = 'chronicle'::pg_catalog.regnamespace)
       OR EXISTS (SELECT FROM pg_catalog.pg_proc p
                   WHERE p.pronamespace = 'chronicle'::pg_catalog.regnamespace)
       OR EXISTS (SELECT FROM pg_catalog.pg_type t
                   WHERE t.typnamespace = 'chronicle'::pg_catalog.regnamespace)
    THEN
        RAISE EXCEPTION 'schema "chronicle" already contains objects'
            USING ERRCODE = 'duplicate_schema',
                  HINT = 'Drop or rename the existing schema "chronicle", then run CREATE EXTENSION chronicle again.';
    END IF;
END
$guard$;

-- ==== functions (src/sql/functions/core/version.sql)
CREATE FUNCTION chronicle.version()
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

-- ==== event triggers (src/sql/event_triggers.sql)
-- Event triggers, recreated by every install and upgrade script (none yet).

-- ==== grants (src/sql/grants.sql)
-- Privileges, re-emitted by every install and upgrade script.
GRANT EXECUTE ON FUNCTION chronicle.version() TO PUBLIC;
