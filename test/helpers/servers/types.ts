/** One interface for every kind of test server: embedded (npm binaries), system (pg_config), container. */

export type ProviderKind = 'embedded' | 'system' | 'container';

/** What a test file needs to reach a server; plain data, passed from global setup to workers. */
export interface ServerInfo {
  /** e.g. "embedded-17" */
  name: string;
  kind: ProviderKind;
  major: number;
  host: string;
  port: number;
  user: string;
  password: string;
  /** the extension directory the server reads (absent for containers) */
  extensionDir?: string;
  /** pg_config of the server, where it has one (system provider) */
  pgConfig?: string;
}

export interface RunningServer {
  info: ServerInfo;
  stop(): Promise<void>;
  /** clusters this process started itself (embedded, system): their files, for tools that run the server binary directly */
  local?: LocalCluster;
}

export interface LocalCluster {
  bindir: string;
  dataDirectory: string;
  /** the OS user the server runs as (PostgreSQL refuses root), when this process is root */
  runAs?: { uid: number; gid: number };
  /** stops the server and keeps its files (stop() still removes them) */
  shutDown(): void;
}

export class ServerProviderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export function serverUrl(info: ServerInfo, database: string): string {
  const password = info.password ? `:${encodeURIComponent(info.password)}` : '';
  return `postgresql://${encodeURIComponent(info.user)}${password}@${info.host}:${info.port}/${encodeURIComponent(database)}`;
}
