/** Shapes shared by the generator's modules. */

/** A SQL source, named by its path relative to the repository root. */
export interface SqlFile {
  path: string;
  text: string;
}

/** control/extension.json: what goes into the control file. */
export interface ExtensionIdentity {
  name: string;
  comment: string;
  schema: string;
  relocatable: boolean;
  superuser: boolean;
  trusted: boolean;
}

export interface RoutineSignature {
  kind: 'FUNCTION' | 'PROCEDURE';
  /** qualified name as written in the source */
  name: string;
  /** argument types that identify it, as DROP FUNCTION takes them */
  identityArguments: string;
  /** name, arguments with names and defaults, and result, whitespace-normalized */
  header: string;
}

/** The replaceable objects one version defines; upgrades compare these to drop what changed. */
export interface ObjectManifest {
  routines: RoutineSignature[];
  views: string[];
  eventTriggers: string[];
}

export interface Release {
  version: string;
  /** release date, YYYY-MM-DD */
  released: string;
  /** repository-relative path -> "sha256:<hex>" of every file frozen by this release */
  frozen: Record<string, string>;
  objects: ObjectManifest;
}

/** control/releases.json */
export interface ReleaseHistory {
  next: string;
  releases: Release[];
}

export interface ControlMetadata {
  identity: ExtensionIdentity;
  history: ReleaseHistory;
}

/** Everything the renderers read: metadata plus the SQL sources. */
export interface Sources {
  metadata: ControlMetadata;
  /** released steps by version, oldest first, then the step of the version under development */
  migrations: { version: string; file: SqlFile }[];
  functions: SqlFile[];
  views: SqlFile[];
  eventTriggers: SqlFile;
  grants: SqlFile;
}

/** A file the generator owns in extension/. */
export interface GeneratedFile {
  /** repository-relative path, e.g. extension/chronicle--0.2.0.sql */
  path: string;
  text: string;
}
