#!/usr/bin/env node
/**
 * make bench: the capture workloads of DESIGN.md §5, each on an unaudited and an audited table
 * (and the capture workloads and reverts on the floor's table, floor.ts), printed as one table of
 * medians and written as JSON. See docs/benchmarks.md.
 * Exit codes as the CLI's: 0 success, 1 failure, 2 usage; 130 and 143 when interrupted.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import yargs from 'yargs';
import { connectionConfig, withClient } from '../../src/db/connection';
import { ChronicleError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from '../../src/errors';
import { EMBEDDED_MAJORS } from '../helpers/servers/embedded';
import { ServerProviderError } from '../helpers/servers/types';
import { checkOptions, runBenchmark } from './harness';
import { measureInstructions } from './instructions';
import { renderInstructionReport, renderReport } from './report';
import { writeResultsFile, type BenchOptions } from './results';
import { databaseOnEmbeddedServer, databaseOnServer } from './target';

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const consoleOutput: Output = { out: (t) => console.log(t), err: (t) => console.error(t) };

const DEFAULT_MAJOR = 17;

/** Runs the benchmark as the command line asks; resolves to the exit code. */
export async function run(argv: string[], output: Output = consoleOutput): Promise<number> {
  try {
    const args = await yargs(argv)
      .scriptName('bench')
      .usage('$0 [options]\n\nTimes chronicle\'s capture against the same work on an unaudited table, and against a floor: a minimal capture writing only what the design requires (docs/benchmarks.md).')
      .option('major', { type: 'number', choices: EMBEDDED_MAJORS, describe: `major of the embedded server to start (default ${DEFAULT_MAJOR})` })
      .option('db', { type: 'string', describe: 'URL of an existing server (with the extension files installed) to create the benchmark database on, instead of an embedded server' })
      .conflicts('db', 'major')
      .option('durable', {
        type: 'boolean',
        describe: 'start the embedded server with PostgreSQL\'s durable defaults (fsync, synchronous_commit, full_page_writes on) instead of the tests\' settings, so that every commit waits for its flush',
      })
      .conflicts('durable', 'db')
      .option('rows', { type: 'number', default: 200_000, describe: 'rows of the benchmark table' })
      .option('repetitions', { type: 'number', default: 5, describe: 'runs of every workload on each table; the medians are printed' })
      .option('transactions', { type: 'number', default: 2000, describe: 'single-row UPDATE transactions, and 10-row UPDATE statements, per run' })
      .option('json', { type: 'string', default: 'bench-results.json', describe: 'file to write the results to' })
      .option('instructions', {
        type: 'boolean',
        describe: 'count CPU instructions (valgrind callgrind, single-user server) of the short statements instead of timing every workload; uses --major, --rows, --transactions',
      })
      .conflicts('instructions', 'db')
      .conflicts('instructions', 'durable')
      .strict()
      .version(false)
      .help()
      .alias('h', 'help')
      .exitProcess(false)
      .fail((message, error) => {
        throw error ?? new UsageError(message);
      })
      .parseAsync();
    if (args.help) return EXIT_OK;
    const options: BenchOptions = { rows: args.rows, repetitions: args.repetitions, transactions: args.transactions };
    checkOptions(options);
    if (args.instructions) {
      const results = await measureInstructions(
        { major: args.major ?? DEFAULT_MAJOR, rows: args.rows, statements: args.transactions }, (line) => output.err(line));
      output.out(renderInstructionReport(results));
      const path = resolve(args.json);
      writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
      output.out(`\nresults written to ${path}`);
      return EXIT_OK;
    }
    const database = args.db ? await databaseOnServer(args.db) : await databaseOnEmbeddedServer(args.major ?? DEFAULT_MAJOR, args.durable ?? false);
    // Ctrl-C or a kill would otherwise leave an embedded server running in its temporary
    // directory. Exit codes as a shell reports a death by those signals: 128 + the signal.
    const interrupted = (signal: NodeJS.Signals) => {
      output.err(`interrupted (${signal}): removing the benchmark database`);
      void database.close().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    try {
      output.err(`benchmark database: ${database.description}`);
      const results = await withClient(connectionConfig({ url: database.url }), (client) => runBenchmark(client, options, (line) => output.err(line)));
      output.out(renderReport(results));
      const path = resolve(args.json);
      writeResultsFile(path, results);
      output.out(`\nresults written to ${path}`);
    } finally {
      process.removeListener('SIGINT', interrupted);
      process.removeListener('SIGTERM', interrupted);
      await database.close();
    }
    return EXIT_OK;
  } catch (error) {
    return reportError(error, output);
  }
}

function reportError(error: unknown, output: Output): number {
  if (error instanceof ChronicleError) {
    output.err(`bench: ${error.message}`);
    if (error.hint) output.err(`hint: ${error.hint}`);
    if (error.exitCode === EXIT_USAGE) output.err('run with --help for usage');
    return error.exitCode;
  }
  // The embedded server could not start (binaries missing, port trouble): its message says why.
  if (error instanceof ServerProviderError) {
    output.err(`bench: ${error.message}`);
    return EXIT_FAILURE;
  }
  output.err(`bench: unexpected error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  return EXIT_FAILURE;
}

if (require.main === module) {
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
