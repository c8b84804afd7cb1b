-- A fingerprint of the structure of chronicle's own tables: columns, constraints, triggers, rules,
-- policies and row security, not storage parameters, tablespace or statistics targets. An ALTER
-- TABLE of a log table is allowed when it leaves the fingerprint as it was (e.g. a DBA tuning
-- autovacuum), refused otherwise (ddl_command_start and ddl_command_end compare it).
CREATE OR REPLACE FUNCTION chronicle.ddl_protected_structure()
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT pg_catalog.md5(pg_catalog.string_agg(s.part, E'\n' ORDER BY s.part))
    FROM (
        SELECT pg_catalog.format('%s rls=%s,%s', c.oid::pg_catalog.regclass, c.relrowsecurity, c.relforcerowsecurity) AS part, c.oid
        FROM pg_catalog.pg_class AS c
        UNION ALL
        SELECT pg_catalog.format('%s.%s %s %s %s %s', a.attrelid::pg_catalog.regclass, a.attnum, a.attname, a.attisdropped,
                                 pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull)
               || coalesce(' default ' || pg_catalog.pg_get_expr(d.adbin, d.adrelid), ''), a.attrelid
        FROM pg_catalog.pg_attribute AS a
        LEFT JOIN pg_catalog.pg_attrdef AS d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attnum > 0
        UNION ALL
        SELECT pg_catalog.format('%s constraint %s %s', k.conrelid::pg_catalog.regclass, k.conname, pg_catalog.pg_get_constraintdef(k.oid)), k.conrelid
        FROM pg_catalog.pg_constraint AS k
        UNION ALL
        SELECT pg_catalog.format('%s trigger %s %s', t.tgrelid::pg_catalog.regclass, t.tgname, t.tgenabled), t.tgrelid
        FROM pg_catalog.pg_trigger AS t
        UNION ALL
        SELECT pg_catalog.format('%s rule %s', r.ev_class::pg_catalog.regclass, r.rulename), r.ev_class
        FROM pg_catalog.pg_rewrite AS r
        UNION ALL
        SELECT pg_catalog.format('%s policy %s', p.polrelid::pg_catalog.regclass, p.polname), p.polrelid
        FROM pg_catalog.pg_policy AS p
    ) AS s
    WHERE s.oid IN (SELECT d.objid FROM pg_catalog.pg_depend AS d
                    JOIN pg_catalog.pg_extension AS x ON x.oid = d.refobjid AND x.extname = 'chronicle'
                    WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype = 'e')
$function$;

COMMENT ON FUNCTION chronicle.ddl_protected_structure() IS
    'Internal, for DDL capture: a fingerprint of the structure of chronicle''s own tables (not their storage parameters).';
