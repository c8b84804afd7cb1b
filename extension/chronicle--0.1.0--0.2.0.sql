-- chronicle upgrade script 0.1.0 -> 0.2.0
-- GENERATED FILE, do not edit: made by `npm run generate` from src/sql/ and control/.

-- complain if this script is sourced in psql rather than run by the extension machinery
\echo Use "ALTER EXTENSION chronicle UPDATE TO '0.2.0'" to load this file. \quit

-- every name below is schema-qualified; nothing may resolve through the caller's path
SET LOCAL search_path = pg_catalog, pg_temp;

-- ==== objects of the old version that are dropped before being re-created or removed
-- nothing to drop

-- ==== migration step 0.2.0
-- Release under development (control/releases.json "next"): append stateful changes here.

-- ==== functions (src/sql/functions/core/version.sql)
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

-- ==== event triggers (src/sql/event_triggers.sql)
-- Event triggers, recreated by every install and upgrade script (none yet).

-- ==== grants (src/sql/grants.sql)
-- Privileges, re-emitted by every install and upgrade script.
GRANT EXECUTE ON FUNCTION chronicle.version() TO PUBLIC;
