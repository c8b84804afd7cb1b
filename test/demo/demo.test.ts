/** `make demo` runs end to end: embedded server, CLI install and upgrade, the example script. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root';

it('runs the demo to the end with readable output', () => {
  const result = spawnSync(process.execPath, [join(packageRoot(), 'dist', 'test', 'demo', 'main.js')], { encoding: 'utf8', timeout: 170_000 });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  expect(result.stdout).toContain('installed chronicle 0.1.0');
  expect(result.stdout).toContain('chronicle 0.1.0 -> 0.2.0');
  expect(result.stdout).toMatch(/ version\n-+\n 0\.2\.0\n\(1 row\)/);
  expect(result.stdout).toContain('server stopped and its files removed');
});
