#!/usr/bin/env node
/**
 * pg-chronicle: install, upgrade and report the chronicle extension.
 * Exit codes: 0 success, 1 failure, 2 usage.
 */
import yargs, { type Argv } from 'yargs';
import { connectionConfig } from '../db/connection';
import { ChronicleError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from '../errors';
import type { FileTarget } from './extension-files';
import { formatInstall, formatStatus, formatUpgrade, formatUpgradeWarnings } from './format';
import { install } from './install';
import { status } from './status';
import { upgrade } from './upgrade';

interface Output {
  out(text: string): void;
  err(text: string): void;
}

const consoleOutput: Output = { out: (t) => console.log(t), err: (t) => console.error(t) };

function withConnection<T>(argv: Argv<T>) {
  return argv
    .option('db', { type: 'string', describe: 'connection URL (default: DATABASE_URL, then PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD)' })
    .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' });
}

function fileTarget(args: { 'pg-config'?: string; 'extension-dir'?: string; 'skip-files'?: boolean }): FileTarget | undefined {
  const chosen = [args['pg-config'] !== undefined, args['extension-dir'] !== undefined, args['skip-files'] === true].filter(Boolean).length;
  if (chosen > 1) throw new UsageError('--pg-config, --extension-dir and --skip-files exclude each other');
  if (args['skip-files']) return undefined;
  if (args['extension-dir'] !== undefined) return { extensionDir: args['extension-dir'] };
  return { pgConfig: args['pg-config'] ?? 'pg_config' };
}

/** Runs the CLI on argv; resolves to the exit code. Exported for tests and embedding. */
export async function run(argv: string[], output: Output = consoleOutput): Promise<number> {
  let exitCode = EXIT_OK;
  const report = (json: boolean, value: unknown, text: string) => output.out(json ? JSON.stringify(value, null, 2) : text);
  const parser = yargs(argv)
    .scriptName('pg-chronicle')
    .usage('$0 <command> [options]\n\nInstall, upgrade and inspect the chronicle PostgreSQL extension.')
    .command(
      'install',
      'copy the extension files into the server\'s extension directory and CREATE EXTENSION chronicle',
      (y) => withConnection(y)
        .option('version', { type: 'string', describe: 'version to create (default: the control file\'s default_version)' })
        .option('pg-config', { type: 'string', describe: 'pg_config of the local server whose extension directory receives the files (default: pg_config on PATH)' })
        .option('extension-dir', { type: 'string', describe: 'extension directory to copy the files into' })
        .option('skip-files', { type: 'boolean', describe: 'copy nothing: the files are already installed (make install)' }),
      async (args) => {
        const result = await install({ connection: connectionConfig({ url: args.db }), files: fileTarget(args), version: args.version });
        report(args.json, result, formatInstall(result));
      },
    )
    .command(
      'upgrade',
      'ALTER EXTENSION chronicle UPDATE [TO version]',
      (y) => withConnection(y).option('to', { type: 'string', describe: 'target version (default: the control file\'s default_version)' }),
      async (args) => {
        const result = await upgrade({ connection: connectionConfig({ url: args.db }), version: args.to });
        for (const warning of formatUpgradeWarnings(result)) process.stderr.write(`${warning}\n`);
        report(args.json, result, formatUpgrade(result));
      },
    )
    .command(
      'status',
      'installed and available versions, audited tables and log sizes',
      (y) => withConnection(y),
      async (args) => {
        const result = await status({ connection: connectionConfig({ url: args.db }) });
        report(args.json, result, formatStatus(result));
      },
    )
    .demandCommand(1, 'name a command: install, upgrade or status')
    .strict()
    .version(false)
    .help()
    .alias('h', 'help')
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
  try {
    await parser.parseAsync();
  } catch (error) {
    exitCode = reportError(error, output);
  }
  return exitCode;
}

function reportError(error: unknown, output: Output): number {
  if (error instanceof ChronicleError) {
    output.err(`pg-chronicle: ${error.message}`);
    if (error.hint) output.err(`hint: ${error.hint}`);
    if (error.exitCode === EXIT_USAGE) output.err('run `pg-chronicle --help` for usage');
    return error.exitCode;
  }
  output.err(`pg-chronicle: unexpected error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  return EXIT_FAILURE;
}

if (require.main === module) {
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
