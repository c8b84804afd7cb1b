/** Errors the generator reports; each names the file at fault and what to do. */

export class GeneratorError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** control/*.json does not match its JSON schema or is inconsistent. */
export class ControlMetadataError extends GeneratorError {
  constructor(
    readonly file: string,
    readonly problems: string[],
    options?: { cause?: unknown },
  ) {
    super(`${file} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`, options);
  }
}

/** A SQL source breaks one of the project's rules. */
export class SourceRuleError extends GeneratorError {
  constructor(readonly file: string, readonly problem: string) {
    super(`${file}: ${problem}`);
  }
}

/** extension/ or a released source differs from what the generator and control/ say. */
export class DriftError extends GeneratorError {
  constructor(readonly problems: string[]) {
    super(`extension/ is not what the sources and control/ produce:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
