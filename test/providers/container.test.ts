/**
 * The container provider: where a Docker engine is reachable it starts postgres images with the
 * extension files inside; where none is, it refuses with one clear line.
 */
import { Client } from 'pg';
import { ContainerRuntimeUnavailableError, requireContainerRuntime, startContainer } from '../helpers/servers/container';
import { serverUrl } from '../helpers/servers/types';
import { DEFAULT_VERSION } from '../helpers/versions';

it('runs chronicle in a postgres container where Docker is reachable, and refuses clearly where it is not', async () => {
  const unavailable = await requireContainerRuntime().then(() => undefined, (error: unknown) => error);
  if (unavailable === undefined) {
    const server = await startContainer(17);
    const client = new Client({ connectionString: serverUrl(server.info, 'postgres') });
    try {
      await client.connect();
      await client.query('CREATE EXTENSION chronicle');
      const { rows } = await client.query('SELECT chronicle.version() AS version');
      expect(rows[0].version).toBe(DEFAULT_VERSION);
    } finally {
      await client.end();
      await server.stop();
    }
  } else {
    expect(unavailable).toBeInstanceOf(ContainerRuntimeUnavailableError);
    const message = (unavailable as Error).message;
    expect(message).toMatch(/^no Docker engine is reachable \(.+\): the container provider needs one; use the embedded provider \(the default\) instead$/);
    expect(message).not.toContain('\n');
    await expect(startContainer(17)).rejects.toThrow(ContainerRuntimeUnavailableError);
    console.log(`container provider tests did not run: ${message}`);
  }
});
