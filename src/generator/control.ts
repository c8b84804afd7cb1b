/**
 * Parses and validates control/extension.json and control/releases.json against the JSON
 * schemas kept beside them, plus the rules a schema cannot express (version order). Pure:
 * takes file names and texts, returns typed metadata or throws ControlMetadataError.
 */
import Ajv, { type ErrorObject } from 'ajv';
import { ControlMetadataError } from './errors';
import type { ControlMetadata, ExtensionIdentity, ReleaseHistory } from './types';

export interface ControlTexts {
  identity: { file: string; text: string };
  history: { file: string; text: string };
  identitySchema: string;
  historySchema: string;
}

export function parseControlMetadata(texts: ControlTexts): ControlMetadata {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const identity = validate<ExtensionIdentity>(ajv, texts.identity.file, texts.identity.text, texts.identitySchema);
  const history = validate<ReleaseHistory>(ajv, texts.history.file, texts.history.text, texts.historySchema);
  checkVersionOrder(texts.history.file, history);
  return { identity, history };
}

function validate<T>(ajv: Ajv, file: string, text: string, schemaText: string): T {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ControlMetadataError(file, [`not valid JSON: ${(error as Error).message}`], { cause: error });
  }
  const check = ajv.compile<T>(JSON.parse(schemaText));
  if (!check(data)) throw new ControlMetadataError(file, (check.errors ?? []).map(describeProblem));
  return data;
}

/** "/releases/0/version: must match pattern ..." with the offending value where it helps. */
function describeProblem(error: ErrorObject): string {
  const field = error.instancePath === '' ? '(top level)' : error.instancePath;
  switch (error.keyword) {
    case 'additionalProperties':
      return `${field}: unknown field "${String(error.params.additionalProperty)}"`;
    case 'required':
      return `${field}: missing required field "${String(error.params.missingProperty)}"`;
    case 'enum':
      return `${field}: must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return `${field}: ${error.message ?? 'is invalid'}`;
  }
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i += 1) {
    if (pa[i] !== pb[i]) return pa[i] - pb[i];
  }
  return 0;
}

function checkVersionOrder(file: string, history: ReleaseHistory): void {
  const problems: string[] = [];
  history.releases.forEach((release, i) => {
    const previous = history.releases[i - 1];
    if (previous && compareVersions(previous.version, release.version) >= 0) {
      problems.push(`/releases/${i}/version: ${release.version} must be greater than ${previous.version} (releases are listed oldest first)`);
    }
  });
  const last = history.releases[history.releases.length - 1];
  if (last && compareVersions(last.version, history.next) >= 0) {
    problems.push(`/next: ${history.next} must be greater than the last release ${last.version}`);
  }
  if (problems.length > 0) throw new ControlMetadataError(file, problems);
}
