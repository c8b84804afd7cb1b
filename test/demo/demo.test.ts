/** `make demo` runs end to end: embedded server, CLI install and upgrade, the example script. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root';
import { DEFAULT_VERSION } from '../helpers/versions';

it('runs the demo to the end with readable output', () => {
  const result = spawnSync(process.execPath, [join(packageRoot(), 'dist', 'test', 'demo', 'main.js')], { encoding: 'utf8', timeout: 170_000 });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  expect(result.stdout).toContain('installed chronicle 0.1.0');
  expect(result.stdout).toContain(`chronicle 0.1.0 -> ${DEFAULT_VERSION}`);
  expect(result.stdout).toContain(` version\n---------\n ${DEFAULT_VERSION}\n(1 row)`);
  // The audit trail the example script queries: the annotated transaction, a change of key
  // logged as one change with the old key, and the deleted row kept whole.
  expect(result.stdout).toContain('{"user": "alice@example.com", "request_id": "r-1001"}');
  expect(result.stdout).toMatch(/ UPDATE +\| \{"id": 20\} +\| \{"id": 2, "total": 5\.00\}/);
  expect(result.stdout).toMatch(/ DELETE +\| \{"id": 3\} +\| \{"id": 3, "tags": \["express"\], "total": 42\.00/);
  expect(result.stdout).toContain('server stopped and its files removed');
});
