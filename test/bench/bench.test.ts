/**
 * The benchmark harness, bounded: a tiny table, one repetition. Checks the structure and sanity
 * of the results and that the log holds one row per changed row; never timings or ratios.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { connectTo, createDatabase, databaseNameFor, dropDatabase, testServers } from '../helpers/database';
import { EMBEDDED_MAJORS } from '../helpers/servers/embedded';
import { serverUrl, type ServerInfo } from '../helpers/servers/types';
import { runBenchmark } from './harness';
import { run, type Output } from './main';
import type { InstructionResults } from './instructions';
import { renderInstructionReport, renderReport } from './report';
import { writeResultsFile, type BenchOptions, type BenchResults, type WorkloadId } from './results';

const OPTIONS: BenchOptions = { rows: 500, repetitions: 1, transactions: 20 };
const CHANGED_ROWS: Record<WorkloadId, number> = {
  insert: 500, update: 500, restore_before_update: 500, revert_update: 500, single_row_update: 20, ten_row_update: 200, delete: 500,
  revert_delete: 500, restore_record: 20,
};
/** The time-travel workloads read the log and write nothing to it. */
const READS_ONLY = new Set<WorkloadId>(['restore_before_update', 'restore_record']);
/** The capture workloads also run on the floor's table. */
const ON_FLOOR = new Set<WorkloadId>(['insert', 'update', 'revert_update', 'single_row_update', 'ten_row_update', 'delete', 'revert_delete']);
const LOG_TABLES = ['row_log', 'table_event_log', 'transaction_log'];

function capture(): Output & { text(): string } {
  const lines: string[] = [];
  return { out: (t) => lines.push(t), err: (t) => lines.push(t), text: () => lines.join('\n') };
}

describe('command line', () => {
  it('refuses unusable options with exit code 2 before starting anything', async () => {
    const output = capture();
    expect(await run(['--rows', '5', '--repetitions', '0'], output)).toBe(2);
    expect(output.text()).toContain('--rows must be an integer of at least 10, not 5; --repetitions must be an integer of at least 1, not 0');
    expect(await run(['--db', 'postgresql://localhost/x', '--major', '15'], output)).toBe(2);
    expect(await run(['--durable', '--db', 'postgresql://localhost/x'], output)).toBe(2);
    expect(await run(['--durable', '--instructions'], output)).toBe(2);
  });

  it('with --durable, runs on an embedded server that keeps PostgreSQL\'s durable defaults', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'chronicle-bench-durable-'));
    try {
      const path = join(directory, 'durable.json');
      const output = capture();
      const major = EMBEDDED_MAJORS[EMBEDDED_MAJORS.length - 1];
      const code = await run(['--durable', '--major', String(major), '--rows', '100', '--repetitions', '1', '--transactions', '5', '--json', path], output);
      expect(output.text()).not.toContain('bench:');
      expect(code).toBe(0);
      const written = JSON.parse(readFileSync(path, 'utf8')) as BenchResults;
      expect(written.server.settings).toMatchObject({ fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' });
      expect(output.text()).toContain('settings: fsync=on, synchronous_commit=on, full_page_writes=on');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe.each(testServers().map((s) => [s.name, s] as const))('%s', (_name, server: ServerInfo) => {
  const database = databaseNameFor(__filename);
  let client: Client;
  let results: BenchResults;
  let directory: string;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'chronicle-bench-test-'));
    await createDatabase(server, database);
    client = await connectTo(server, database);
    results = await runBenchmark(client, OPTIONS);
  });

  afterAll(async () => {
    await client.end();
    await dropDatabase(server, database);
    rmSync(directory, { recursive: true, force: true });
  });

  /** The entries a repetition logs, by operation: the INSERT and the DELETE's revert, the UPDATE, its revert, the short UPDATEs */
  const ENTRIES_BY_OPERATION = [
    { operation: 'DELETE', rows: 500 },
    { operation: 'INSERT', rows: 500 + 500 },
    { operation: 'UPDATE', rows: 500 + 500 + 20 + 200 },
  ];
  const entriesByOperation = async (log: 'chronicle' | 'floor') => {
    const [entries, events] = log === 'chronicle'
      ? ['chronicle.row_log', 'chronicle.table_event_log'] : ['chronicle_bench.floor_row_log', 'chronicle_bench.floor_table_event_log'];
    return (await client.query(
      `SELECT e.operation, count(*)::integer AS rows FROM ${entries} AS r JOIN ${events} AS e ON e.id = r.event_id
        GROUP BY e.operation ORDER BY e.operation::text`,
    )).rows;
  };

  it('runs every workload once on each table, all changing (or restoring) the same rows and the audited ones logging each change', () => {
    expect(results.workloads.map((w) => w.id)).toEqual([
      'insert', 'update', 'restore_before_update', 'revert_update', 'single_row_update', 'ten_row_update', 'delete', 'revert_delete', 'restore_record',
    ]);
    for (const w of results.workloads) {
      const expected = CHANGED_ROWS[w.id];
      expect(w.unaudited).toEqual([{ ms: expect.any(Number), changedRows: expected }]);
      const logged = READS_ONLY.has(w.id) ? 0 : expected;
      expect(w.audited).toEqual([{ ms: expect.any(Number), changedRows: expected, loggedRows: logged, logBytes: expect.any(Object) }]);
      expect(Object.keys(w.audited[0].logBytes).sort()).toEqual(LOG_TABLES);
      if (ON_FLOOR.has(w.id)) {
        expect(w.floor).toEqual([{ ms: expect.any(Number), changedRows: expected, loggedRows: expected, logBytes: expect.any(Object) }]);
        expect(Object.keys(w.floor[0].logBytes).sort()).toEqual(LOG_TABLES);
      } else {
        expect(w.floor).toEqual([]);
      }
      for (const r of [...w.unaudited, ...w.audited, ...w.floor]) expect(r.ms).toBeGreaterThan(0);
    }
  });

  it('leaves in the log exactly the rows the repetition changed, by operation', async () => {
    expect(await entriesByOperation('chronicle')).toEqual(ENTRIES_BY_OPERATION);
    // one transaction that started the audit, then one per bulk statement, per revert, per
    // single-row transaction and per 10-row statement; the time-travel workloads write none
    const transactions = await client.query('SELECT count(*)::integer AS n FROM chronicle.transaction_log');
    expect(transactions.rows[0].n).toBe(1 + 3 + 2 + 20 + 20);
    // each revert names what it reverted
    const reverts = await client.query(`SELECT count(*)::integer AS n FROM chronicle.transaction_log WHERE session_info ? 'chronicle_reverted'`);
    expect(reverts.rows[0].n).toBe(2);
  });

  it('leaves in the floor\'s log one row per row its table changed, with the keys and rows chronicle logs', async () => {
    expect(await entriesByOperation('floor')).toEqual(ENTRIES_BY_OPERATION);
    // one transaction per statement: the bulk ones, the reverts, the single-row transactions, the
    // 10-row statements
    const transactions = await client.query('SELECT count(*)::integer AS n FROM chronicle_bench.floor_transaction_log');
    expect(transactions.rows[0].n).toBe(3 + 2 + 20 + 20);
    // the floor's reverts left its table as chronicle's left the audited one
    const tables = await client.query(
      `SELECT count(*)::integer AS n FROM ((TABLE chronicle_bench.floor EXCEPT ALL TABLE chronicle_bench.audited)
                                           UNION ALL (TABLE chronicle_bench.audited EXCEPT ALL TABLE chronicle_bench.floor)) AS d`,
    );
    expect(tables.rows[0].n).toBe(0);
    // The same keys and whole rows as chronicle's entries of the bulk INSERT and DELETE and of the
    // re-insert that reverts the DELETE.
    const differences = await client.query(
      `WITH floor AS (SELECT e.operation::text AS operation, r.row_key, r.old_data
                        FROM chronicle_bench.floor_row_log AS r JOIN chronicle_bench.floor_table_event_log AS e ON e.id = r.event_id
                       WHERE e.operation IN ('INSERT', 'DELETE')),
            logged AS (SELECT e.operation::text AS operation, r.row_key, r.old_data
                         FROM chronicle.row_log AS r JOIN chronicle.table_event_log AS e ON e.id = r.event_id
                        WHERE e.operation IN ('INSERT', 'DELETE'))
       SELECT count(*)::integer AS n, (SELECT count(*)::integer FROM logged) AS logged
         FROM ((SELECT * FROM floor EXCEPT ALL SELECT * FROM logged) UNION ALL (SELECT * FROM logged EXCEPT ALL SELECT * FROM floor)) AS d`,
    );
    expect(differences.rows[0].logged).toBe(1500);
    expect(differences.rows[0].n).toBe(0);
  });

  it('measures log growth for the bulk workloads, on chronicle\'s log and on the floor\'s', () => {
    for (const id of ['insert', 'update', 'delete', 'revert_update', 'revert_delete']) {
      const w = results.workloads.find((x) => x.id === id)!;
      for (const run of [w.audited[0], w.floor[0]]) {
        expect(run.logBytes.row_log).toBeGreaterThan(0);
        for (const bytes of Object.values(run.logBytes)) expect(bytes).toBeGreaterThanOrEqual(0);
      }
    }
  });

  it('summarizes every workload, the DELETE also against the unaudited INSERT, the reverts against the inverse statements, and renders them', () => {
    expect(results.summary.map((r) => r.workload)).toEqual([
      'bulk INSERT', 'bulk UPDATE of 1 column', 'bulk DELETE', 'bulk DELETE, audited vs unaudited INSERT',
      'single-row UPDATE, per transaction', '10-row UPDATE, per statement',
      'revert of the bulk UPDATE (vs the inverse UPDATE)', 'revert of the bulk DELETE (vs an INSERT of the rows)',
      'restore_table_state before the bulk UPDATE (vs CREATE TABLE AS)', 'restore_record of one key (vs SELECT by key)',
    ]);
    const withFloor = ['bulk INSERT', 'bulk UPDATE of 1 column', 'bulk DELETE', 'bulk DELETE, audited vs unaudited INSERT',
      'single-row UPDATE, per transaction', '10-row UPDATE, per statement',
      'revert of the bulk UPDATE (vs the inverse UPDATE)', 'revert of the bulk DELETE (vs an INSERT of the rows)'];
    for (const r of results.summary) {
      for (const figure of [r.unauditedMs, r.auditedMs, r.ratio]) expect(Number.isFinite(figure) && figure > 0).toBe(true);
      if (withFloor.includes(r.workload)) {
        for (const figure of [r.floorMs, r.floorRatio]) expect(Number.isFinite(figure) && figure! > 0).toBe(true);
        expect(r.floorRatio).toBeCloseTo(r.floorMs! / r.unauditedMs, 10);
      } else {
        expect([r.floorMs, r.floorRatio]).toEqual([null, null]);
      }
      if (r.workload.includes('vs unaudited INSERT') || r.workload.startsWith('restore')) expect(r.logBytesPerChangedRow).toBeNull();
      else expect(r.logBytesPerChangedRow).toBeGreaterThanOrEqual(0);
    }
    const report = renderReport(results);
    expect(report).toContain(`on PostgreSQL ${results.server.version};`);
    expect(report).toMatch(/fsync=\w+/);
    for (const r of results.summary) expect(report).toContain(` ${r.workload} `);
  });

  it('writes the results as JSON that reads back the same', () => {
    const path = join(directory, 'results.json');
    writeResultsFile(path, results);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(results);
  });

  it('killed from outside (SIGTERM), drops the database it created and exits with 143', async () => {
    const child = spawn(process.execPath, [join(__dirname, '../../dist/test/bench/main.js'), '--db', serverUrl(server, 'postgres'),
      '--rows', '2000', '--repetitions', '100', '--transactions', '5', '--json', join(directory, 'killed.json')]);
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('repetition 1/100')) resolve();
      });
      child.on('exit', () => reject(new Error(`the benchmark ended before its first run: ${stderr}`)));
    });
    const named = /benchmark database: .*\/(chronicle_bench_\w+)/.exec(stderr);
    expect(named).not.toBeNull();
    const during = await client.query('SELECT count(*)::integer AS n FROM pg_database WHERE datname = $1', [named![1]]);
    expect(during.rows[0].n).toBe(1);
    child.kill('SIGTERM');
    // (with stderr, so that a failure shows what the benchmark said)
    expect({ code: await exited, stderr }).toEqual({ code: 143, stderr: expect.stringContaining('interrupted (SIGTERM): removing the benchmark database') });
    const after = await client.query('SELECT count(*)::integer AS n FROM pg_database WHERE datname = $1', [named![1]]);
    expect(after.rows[0].n).toBe(0);
  });

  it('runs from the command line on a server given by URL, in a database it creates and drops', async () => {
    const path = join(directory, 'cli.json');
    const output = capture();
    const code = await run(['--db', serverUrl(server, 'postgres'), '--rows', '100', '--repetitions', '1', '--transactions', '5', '--json', path], output);
    expect(output.text()).not.toContain('bench:');
    expect(code).toBe(0);
    expect(output.text()).toContain(`results written to ${path}`);
    const written = JSON.parse(readFileSync(path, 'utf8')) as BenchResults;
    expect(written.options).toEqual({ rows: 100, repetitions: 1, transactions: 5 });
    expect(written.summary).toHaveLength(10);
    const left = await client.query("SELECT datname FROM pg_database WHERE datname LIKE 'chronicle\\_bench\\_%'");
    expect(left.rows).toEqual([]);
  });
});

describe('instruction counts (--instructions)', () => {
  it('counts the short workloads under callgrind on an embedded server, per statement, and writes them as JSON', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'chronicle-bench-instructions-'));
    try {
      const path = join(directory, 'instructions.json');
      const output = capture();
      const code = await run(['--instructions', '--rows', '100', '--transactions', '3', '--json', path], output);
      expect(output.text()).not.toContain('bench:');
      expect(code).toBe(0);
      const written = JSON.parse(readFileSync(path, 'utf8')) as InstructionResults;
      expect(written.options).toEqual({ major: 17, rows: 100, statements: 3 });
      expect(written.rows.map((r) => r.workload)).toEqual(['single-row UPDATE, per transaction', '10-row UPDATE, per statement']);
      for (const r of written.rows) {
        for (const count of [r.unaudited, r.audited, r.floor]) expect(Number.isFinite(count) && count > 0).toBe(true);
        // the audited runs really ran the capture, and the floor runs the floor's: their statements
        // execute more than the same statement on the unaudited table (instruction counts are
        // exact, not timings)
        expect(r.audited).toBeGreaterThan(r.unaudited);
        expect(r.floor).toBeGreaterThan(r.unaudited);
      }
      expect(output.text()).toContain(renderInstructionReport(written));
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('refuses --instructions with --db (it starts its own server) with exit code 2', async () => {
    const output = capture();
    expect(await run(['--instructions', '--db', 'postgresql://localhost/x'], output)).toBe(2);
  });
});
