/**
 * Lexical helpers for the SQL sources: split a script into top-level statements without being
 * fooled by strings, quoted identifiers, dollar-quoted bodies or comments. Pure functions.
 */

export interface SqlStatement {
  /** the statement text, including its terminating semicolon when it had one */
  text: string;
  /** the statement without leading comments and whitespace, for keyword matching */
  head: string;
}

/** The statements of a script, split at top-level semicolons; comment-only pieces left out. */
export function splitStatements(script: string): SqlStatement[] {
  return splitSegments(script).filter((segment) => segment.head.length > 0);
}

/** Every piece of a script, split after each top-level semicolon: joined, they give the script. */
export function splitSegments(script: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let start = 0;
  let i = 0;
  const n = script.length;
  while (i < n) {
    const c = script[i];
    const next = script[i + 1];
    if (c === '-' && next === '-') {
      const end = script.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (c === '/' && next === '*') {
      i = skipBlockComment(script, i);
    } else if (c === "'") {
      const escaped = i > 0 && /[eE]/.test(script[i - 1]) && !/[\w$]/.test(script[i - 2] ?? '');
      i = skipQuoted(script, i, "'", escaped);
    } else if (c === '"') {
      i = skipQuoted(script, i, '"', false);
    } else if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(script.slice(i));
      if (tag && !/[\w$]/.test(script[i - 1] ?? '')) {
        const close = script.indexOf(tag[0], i + tag[0].length);
        if (close === -1) throw new SyntaxError(`unterminated dollar quote ${tag[0]} at offset ${i}`);
        i = close + tag[0].length;
      } else {
        i += 1;
      }
    } else if (c === ';') {
      pushStatement(statements, script.slice(start, i + 1));
      start = i + 1;
      i += 1;
    } else {
      i += 1;
    }
  }
  pushStatement(statements, script.slice(start));
  return statements;
}

function pushStatement(statements: SqlStatement[], text: string): void {
  if (text.length > 0) statements.push({ text, head: stripLeadingComments(text) });
}

/** Removes leading whitespace and comments. */
export function stripLeadingComments(text: string): string {
  let rest = text;
  for (;;) {
    const trimmed = rest.replace(/^\s+/, '');
    if (trimmed.startsWith('--')) {
      const end = trimmed.indexOf('\n');
      rest = end === -1 ? '' : trimmed.slice(end + 1);
    } else if (trimmed.startsWith('/*')) {
      rest = trimmed.slice(skipBlockComment(trimmed, 0));
    } else {
      return trimmed;
    }
  }
}

function skipBlockComment(text: string, from: number): number {
  let depth = 0;
  let i = from;
  while (i < text.length) {
    if (text.startsWith('/*', i)) {
      depth += 1;
      i += 2;
    } else if (text.startsWith('*/', i)) {
      depth -= 1;
      i += 2;
      if (depth === 0) return i;
    } else {
      i += 1;
    }
  }
  throw new SyntaxError(`unterminated block comment at offset ${from}`);
}

function skipQuoted(text: string, from: number, quote: string, backslashEscapes: boolean): number {
  let i = from + 1;
  while (i < text.length) {
    const c = text[i];
    if (backslashEscapes && c === '\\') {
      i += 2;
    } else if (c === quote) {
      if (text[i + 1] === quote) {
        i += 2;
      } else {
        return i + 1;
      }
    } else {
      i += 1;
    }
  }
  throw new SyntaxError(`unterminated ${quote === "'" ? 'string' : 'quoted identifier'} at offset ${from}`);
}

/**
 * Returns the index just past the parenthesis that closes the one at `open`, skipping quoted
 * text inside.
 */
export function matchParenthesis(text: string, open: number): number {
  let depth = 0;
  let i = open;
  while (i < text.length) {
    const c = text[i];
    if (c === "'" || c === '"') {
      i = skipQuoted(text, i, c, false);
      continue;
    }
    if (c === '(') depth += 1;
    if (c === ')') {
      depth -= 1;
      if (depth === 0) return i + 1;
    }
    i += 1;
  }
  throw new SyntaxError(`unbalanced parenthesis at offset ${open}`);
}

/** Splits on commas that are not nested in parentheses or quotes. */
export function splitTopLevelCommas(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "'" || c === '"') {
      i = skipQuoted(text, i, c, false);
      continue;
    }
    if (c === '(' || c === '[') depth += 1;
    if (c === ')' || c === ']') depth -= 1;
    if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
    i += 1;
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

export function normalizeWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\(\s+/g, '(').replace(/\s+\)/g, ')').trim();
}
