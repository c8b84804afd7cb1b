/** Running statements as the tests of the log need them: in one transaction, or expected to fail. */
import { DatabaseError, type Client } from 'pg';

/** The id of the newest chronicle.transaction_log row. */
export async function lastTransaction(client: Client): Promise<number> {
  const { rows: [r] } = await client.query<{ id: string }>('SELECT max(id) AS id FROM chronicle.transaction_log');
  return Number(r.id);
}

/** Runs statements in one transaction (rolled back if one fails); returns its transaction_log id. */
export async function tx(client: Client, ...statements: string[]): Promise<number> {
  await client.query('BEGIN');
  try {
    for (const s of statements) await client.query(s);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
  return lastTransaction(client);
}

/** The error a statement raises; fails the test when it succeeds or throws anything else. */
export async function failure(client: Client, sql: string, params: unknown[] = []): Promise<DatabaseError> {
  try {
    await client.query(sql, params);
  } catch (error) {
    if (error instanceof DatabaseError) return error;
    throw error;
  }
  throw new Error(`expected to fail: ${sql}`);
}
