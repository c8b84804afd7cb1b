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
