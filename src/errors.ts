/**
 * Errors of the CLI and its library functions. Each carries the exit code a script can rely on
 * (1: the operation failed, 2: the command line was wrong) and a hint naming a fix.
 */

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export class ChronicleError extends Error {
  readonly exitCode: number = EXIT_FAILURE;

  constructor(message: string, readonly hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Wrong command line or unusable option value. */
export class UsageError extends ChronicleError {
  override readonly exitCode = EXIT_USAGE;
}

/** The server could not be reached or refused the login. */
export class ConnectionError extends ChronicleError {}

/** The server does not see the extension's files. */
export class ExtensionFilesNotFoundError extends ChronicleError {}

/** The files could not be copied into an extension directory. */
export class ExtensionFilesCopyError extends ChronicleError {}

/** pg_config is missing or failed. */
export class PgConfigError extends ChronicleError {}

/** A version was asked for that the server's extension directory does not offer. */
export class UnknownVersionError extends ChronicleError {
  constructor(readonly requested: string, readonly available: string[]) {
    super(
      `chronicle version "${requested}" is not available on this server`,
      available.length > 0
        ? `available versions: ${available.join(', ')}`
        : 'no version is available: run `make install` (or `pg-chronicle install`) first',
    );
  }
}

/** An operation that needs the extension installed ran on a database without it. */
export class NotInstalledError extends ChronicleError {}

/** The server rejected a statement; keeps its SQLSTATE. */
export class DatabaseError extends ChronicleError {
  constructor(message: string, readonly sqlState: string | undefined, hint?: string, options?: { cause?: unknown }) {
    super(message, hint, options);
  }
}
