/** What a database says about the chronicle extension. */
import type { Client } from 'pg';
import { EXTENSION_NAME } from './extension-files';

export interface ExtensionAvailability {
  installed: string | null;
  defaultVersion: string | null;
  /** versions the server's extension directory offers, oldest first */
  available: string[];
}

export async function readAvailability(client: Client): Promise<ExtensionAvailability> {
  const { rows } = await client.query<{ installed: string | null; default_version: string | null; available: string[] }>(
    `SELECT (SELECT extversion FROM pg_catalog.pg_extension WHERE extname = $1) AS installed,
            (SELECT default_version FROM pg_catalog.pg_available_extensions WHERE name = $1) AS default_version,
            ARRAY(SELECT version FROM pg_catalog.pg_available_extension_versions WHERE name = $1) AS available`,
    [EXTENSION_NAME],
  );
  const row = rows[0];
  return { installed: row.installed, defaultVersion: row.default_version, available: sortVersions(row.available) };
}

export function sortVersions(versions: string[]): string[] {
  const key = (v: string) => v.split(/[.-]/).map((part) => (/^\d+$/.test(part) ? part.padStart(8, '0') : part)).join('.');
  return [...versions].sort((a, b) => key(a).localeCompare(key(b)));
}
