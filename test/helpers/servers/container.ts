/**
 * Container servers: the official postgres images through testcontainers, only where a Docker
 * engine is reachable. Where none is, startContainer fails with ContainerRuntimeUnavailableError.
 */
import { join } from 'node:path';
import { GenericContainer, getContainerRuntimeClient, Wait } from 'testcontainers';
import { PACKAGED_EXTENSION_DIR, packagedFiles } from '../../../src/cli/extension-files';
import { ServerProviderError, type RunningServer } from './types';

export class ContainerRuntimeUnavailableError extends ServerProviderError {}

/** Resolves when a Docker engine answers; otherwise rejects with the reason, in one line. */
export async function requireContainerRuntime(): Promise<void> {
  try {
    await getContainerRuntimeClient();
  } catch (error) {
    throw new ContainerRuntimeUnavailableError(
      `no Docker engine is reachable (${(error as Error).message}; DOCKER_HOST=${process.env.DOCKER_HOST ?? 'unset'}): ` +
        'the container provider needs one; use the embedded provider (the default) instead',
      { cause: error },
    );
  }
}

export async function startContainer(major: number): Promise<RunningServer> {
  await requireContainerRuntime();
  const password = 'chronicle';
  const container = await new GenericContainer(`postgres:${major}`)
    .withEnvironment({ POSTGRES_PASSWORD: password })
    .withExposedPorts(5432)
    .withCopyFilesToContainer(packagedFiles().map((name) => ({
      source: join(PACKAGED_EXTENSION_DIR, name),
      target: `/usr/share/postgresql/${major}/extension/${name}`,
    })))
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  return {
    info: {
      name: `container-${major}`, kind: 'container', major,
      host: container.getHost(), port: container.getMappedPort(5432), user: 'postgres', password,
    },
    stop: async () => {
      await container.stop();
    },
  };
}
