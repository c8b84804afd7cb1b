/** Renders a query result as an aligned text table, psql style. Pure. */

export function renderTable(columns: string[], rows: Record<string, unknown>[]): string {
  const cell = (value: unknown): string => {
    if (value === null || value === undefined) return '';
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'object') return JSON.stringify(value);
    return String(value);
  };
  const cells = rows.map((row) => columns.map((c) => cell(row[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i].length)));
  const line = (values: string[]) => ` ${values.map((v, i) => v.padEnd(widths[i])).join(' | ')}`.trimEnd();
  return [
    line(columns),
    `-${widths.map((w) => '-'.repeat(w)).join('-+-')}-`,
    ...cells.map(line),
    `(${rows.length} ${rows.length === 1 ? 'row' : 'rows'})`,
  ].join('\n');
}
