/**
 * Chooses the servers a test run uses:
 *   CHRONICLE_TEST_SERVER = embedded (default) | system | container
 *   CHRONICLE_TEST_MAJORS = comma-separated majors (embedded and container; default 14..18)
 */
import { startContainer } from './container';
import { EMBEDDED_MAJORS, startEmbedded } from './embedded';
import { startSystem } from './system';
import { ServerProviderError, type ProviderKind, type RunningServer } from './types';

export function selectedProvider(env: NodeJS.ProcessEnv = process.env): ProviderKind {
  const kind = env.CHRONICLE_TEST_SERVER ?? 'embedded';
  if (kind !== 'embedded' && kind !== 'system' && kind !== 'container') {
    throw new ServerProviderError(`CHRONICLE_TEST_SERVER must be embedded, system or container, not "${kind}"`);
  }
  return kind;
}

export function selectedMajors(env: NodeJS.ProcessEnv = process.env): number[] {
  if (!env.CHRONICLE_TEST_MAJORS) return EMBEDDED_MAJORS;
  const majors = env.CHRONICLE_TEST_MAJORS.split(',').map((m) => Number(m.trim()));
  const wrong = majors.filter((m) => !EMBEDDED_MAJORS.includes(m));
  if (wrong.length > 0) throw new ServerProviderError(`CHRONICLE_TEST_MAJORS: unsupported major(s) ${wrong.join(', ')}; supported: ${EMBEDDED_MAJORS.join(', ')}`);
  return majors;
}

/** Starts the selected servers, stopping those already started if one fails. */
export async function startServers(env: NodeJS.ProcessEnv = process.env): Promise<RunningServer[]> {
  const kind = selectedProvider(env);
  if (kind === 'system') return [await startSystem()];
  const start = kind === 'embedded' ? startEmbedded : startContainer;
  const started: RunningServer[] = [];
  try {
    for (const major of selectedMajors(env)) started.push(await start(major));
  } catch (error) {
    await Promise.all(started.map((s) => s.stop()));
    throw error;
  }
  return started;
}
