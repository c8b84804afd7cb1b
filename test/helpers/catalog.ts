/**
 * A snapshot of everything the extension puts in a database, free of OIDs, so a fresh install
 * and an upgraded one can be compared: member objects, function definitions, columns, indexes,
 * constraints, triggers, event triggers, types, sequences, comments, ACLs and extconfig.
 */
import type { Client } from 'pg';

export type CatalogSnapshot = Record<string, string[]>;

const QUERIES: Record<string, string> = {
  extension: `SELECT format('%s %s schema=%s relocatable=%s', extname, extversion, extnamespace::regnamespace, extrelocatable)
                FROM pg_extension WHERE extname = 'chronicle'`,
  members: `SELECT pg_describe_object(d.classid, d.objid, d.objsubid)
              FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
             WHERE d.refclassid = 'pg_extension'::regclass AND e.extname = 'chronicle' AND d.deptype = 'e'`,
  routines: `SELECT format('%s owner=%s acl=%s comment=%s%s', p.oid::regprocedure, pg_get_userbyid(p.proowner), p.proacl,
                           obj_description(p.oid, 'pg_proc'), E'\\n' || pg_get_functiondef(p.oid))
               FROM pg_proc p WHERE p.pronamespace = 'chronicle'::regnamespace AND p.prokind IN ('f', 'p', 'w')`,
  aggregates: `SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = 'chronicle'::regnamespace AND p.prokind = 'a'`,
  relations: `SELECT format('%s kind=%s owner=%s acl=%s options=%s persistence=%s rls=%s comment=%s', c.oid::regclass, c.relkind,
                            pg_get_userbyid(c.relowner), c.relacl, c.reloptions, c.relpersistence, c.relrowsecurity,
                            obj_description(c.oid, 'pg_class'))
                FROM pg_class c WHERE c.relnamespace = 'chronicle'::regnamespace`,
  columns: `SELECT format('%s.%s #%s %s notnull=%s default=%s identity=%s generated=%s collation=%s acl=%s comment=%s',
                          c.oid::regclass, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                          pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated, a.attcollation::regcollation,
                          a.attacl, col_description(c.oid, a.attnum))
               FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
               LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
              WHERE c.relnamespace = 'chronicle'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'c', 'f')`,
  views: `SELECT format('%s: %s', c.oid::regclass, pg_get_viewdef(c.oid))
            FROM pg_class c WHERE c.relnamespace = 'chronicle'::regnamespace AND c.relkind IN ('v', 'm')`,
  indexes: `SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
             WHERE c.relnamespace = 'chronicle'::regnamespace`,
  constraints: `SELECT format('%s on %s: %s deferrable=%s deferred=%s', con.conname, coalesce(con.conrelid::regclass::text, con.contypid::regtype::text),
                              pg_get_constraintdef(con.oid), con.condeferrable, con.condeferred)
                  FROM pg_constraint con WHERE con.connamespace = 'chronicle'::regnamespace`,
  triggers: `SELECT format('%s enabled=%s', pg_get_triggerdef(t.oid), t.tgenabled) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
              WHERE c.relnamespace = 'chronicle'::regnamespace AND NOT t.tgisinternal`,
  eventTriggers: `SELECT format('%s on %s -> %s enabled=%s tags=%s owner=%s', evtname, evtevent, evtfoid::regprocedure, evtenabled,
                                evttags, pg_get_userbyid(evtowner))
                    FROM pg_event_trigger`,
  types: `SELECT format('%s type=%s labels=%s', t.oid::regtype, t.typtype,
                        (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid))
            FROM pg_type t WHERE t.typnamespace = 'chronicle'::regnamespace AND t.typtype IN ('e', 'd', 'c', 'r')
             AND NOT EXISTS (SELECT FROM pg_class c WHERE c.reltype = t.oid AND c.relkind <> 'c')`,
  sequences: `SELECT format('%s %s start=%s inc=%s min=%s max=%s cache=%s cycle=%s', s.seqrelid::regclass, s.seqtypid::regtype,
                            s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
                FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid WHERE c.relnamespace = 'chronicle'::regnamespace`,
  policies: `SELECT format('%s on %s: %s %s using=%s check=%s', pol.polname, pol.polrelid::regclass, pol.polcmd, pol.polroles::regrole[],
                           pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid))
               FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid WHERE c.relnamespace = 'chronicle'::regnamespace`,
  extconfig: `SELECT format('%s where %s', cfg.rel::regclass, cfg.cond)
                FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS cfg(rel, cond) WHERE e.extname = 'chronicle'`,
  schema: `SELECT format('%s owner=%s acl=%s comment=%s', n.nspname, pg_get_userbyid(n.nspowner), n.nspacl, obj_description(n.oid, 'pg_namespace'))
             FROM pg_namespace n WHERE n.nspname = 'chronicle'`,
};

export async function catalogSnapshot(client: Client): Promise<CatalogSnapshot> {
  const snapshot: CatalogSnapshot = {};
  for (const [section, sql] of Object.entries(QUERIES)) {
    const { rows } = await client.query<{ line: string }>(`SELECT line FROM (${sql}) AS q(line) ORDER BY 1`);
    snapshot[section] = rows.map((r) => r.line);
  }
  return snapshot;
}
