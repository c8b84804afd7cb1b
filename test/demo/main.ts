/**
 * make demo: starts an embedded PostgreSQL in a temporary directory, installs chronicle with the
 * CLI, runs docs/examples/demo.sql statement by statement printing each result, then stops the
 * server and removes its files. CHRONICLE_DEMO_MAJOR picks the major (default 17).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { run } from '../../src/cli/main';
import { splitStatements } from '../../src/generator/sql-text';
import { packageRoot } from '../../src/package-root';
import { startEmbedded } from '../helpers/servers/embedded';
import { serverUrl } from '../helpers/servers/types';
import { renderTable } from './render-table';

const DEMO_SCRIPT = join(packageRoot(), 'docs', 'examples', 'demo.sql');

async function cli(args: string[]): Promise<void> {
  console.log(`\n$ pg-chronicle ${args.join(' ')}`);
  const code = await run(args);
  if (code !== 0) throw new Error(`pg-chronicle ${args[0]} exited with ${code}`);
}

async function runScript(client: Client, script: string): Promise<void> {
  for (const statement of splitStatements(script)) {
    const narration = statement.text.slice(0, statement.text.length - statement.head.length)
      .split('\n').map((l) => l.trim()).filter((l) => l.startsWith('--')).map((l) => l.replace(/^--\s?/, ''));
    if (narration.length > 0) console.log(`\n${narration.join('\n')}`);
    console.log(`\n=> ${statement.head.trim()}`);
    const result = await client.query(statement.head);
    console.log(result.fields.length > 0 ? renderTable(result.fields.map((f) => f.name), result.rows) : result.command);
  }
}

async function main(): Promise<void> {
  const major = Number(process.env.CHRONICLE_DEMO_MAJOR ?? '17');
  console.log(`starting an embedded PostgreSQL ${major} in a temporary directory ...`);
  const server = await startEmbedded(major);
  const url = serverUrl(server.info, 'postgres');
  try {
    await cli(['install', '--db', url, '--extension-dir', server.info.extensionDir!, '--version', '0.1.0']);
    await cli(['upgrade', '--db', url]);
    await cli(['status', '--db', url]);
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await runScript(client, readFileSync(DEMO_SCRIPT, 'utf8'));
    } finally {
      await client.end();
    }
  } finally {
    await server.stop();
    console.log('\nserver stopped and its files removed');
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
