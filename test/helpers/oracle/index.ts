/**
 * The change-log oracle (issue 3): snapshots of the real tables after every transaction of a
 * seeded random workload, and reconstructions of each snapshot from the log, by undo from the
 * current rows and by replay from a baseline, compared row for row by the server.
 */
export * from './canonical';
export * from './log';
export * from './model';
export * from './random';
export * from './reconstruct';
export * from './setup';
export * from './statements';
export * from './values';
export * from './workload';
export * from './fixtures';
