/**
 * CREATE EXTENSION chronicle for a test database, tolerating one known race: the install script
 * creates the cluster-wide roles chronicle_viewer and chronicle_admin when they are missing, and
 * two databases of a fresh cluster installing at the same moment both find them missing; the
 * later CREATE ROLE then fails on pg_authid's unique index (SQLSTATE 23505). Test files run in
 * parallel, so the first installs on each server can collide. The roles exist once the other
 * install commits, so one retry succeeds. (Reported as a defect of the migration's role block.)
 */
import type { Client, DatabaseError } from 'pg';

export async function createChronicle(client: Client): Promise<void> {
  try {
    await client.query('CREATE EXTENSION chronicle');
  } catch (error) {
    const e = error as DatabaseError;
    if (e.code !== '23505' || !['pg_authid_rolname_index', 'pg_auth_members_role_member_index'].includes(e.constraint ?? '')) throw error;
    await client.query('CREATE EXTENSION chronicle');
  }
}
