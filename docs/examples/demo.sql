-- pg-chronicle demo: what works so far. `make demo` runs this file statement by statement on
-- an embedded server after `pg-chronicle install` and `pg-chronicle upgrade`.

-- The extension is installed in its own schema, at the version the upgrade reached.
SELECT extname, extversion, extnamespace::regnamespace AS schema
  FROM pg_extension WHERE extname = 'chronicle';

-- chronicle.version() reports the installed version to SQL users.
SELECT chronicle.version();

-- Every version the server's extension directory offers, and the upgrade paths between them.
SELECT source, target, path
  FROM pg_extension_update_paths('chronicle') WHERE path IS NOT NULL ORDER BY source, target;

-- The objects the extension owns (DROP EXTENSION chronicle removes them all).
SELECT pg_describe_object(classid, objid, objsubid) AS object
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'chronicle')
 ORDER BY 1;
