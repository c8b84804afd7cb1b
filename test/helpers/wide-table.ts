/**
 * SQL for an audited table whose rows are wide enough that their logged entries are stored
 * compressed: 60 columns, half numeric, half long repetitive text. Readers of the log must read
 * such an entry once, however many of its values they take.
 */
const COLUMNS = Array.from({ length: 60 }, (_, i) => `w${i}`);

/** the value of every column for row g, each shifted by shift */
const values = (shift: number) =>
  COLUMNS.map((c, i) => (i % 2 ? `repeat('${c}', 40) || (g + ${shift})` : `(g + ${shift}) * 1.50`)).join(', ');

export function compressedEntriesTable(relation: string) {
  return {
    /** creates and audits the table (its schema must exist) */
    create: `CREATE TABLE ${relation} (id integer PRIMARY KEY, ${COLUMNS.map((c, i) => `${c} ${i % 2 ? 'text' : 'numeric'}`).join(', ')});
      SELECT chronicle.create_table_audit('${relation}')`,
    /** inserts rows 1..rows */
    insert: (rows: number) => `INSERT INTO ${relation} SELECT g, ${values(0)} FROM generate_series(1, ${rows}) AS g`,
    /** changes every column but the key of the rows matching the condition */
    updateAll: (condition: string) =>
      `UPDATE ${relation} AS t SET (${COLUMNS.join(', ')}) = (SELECT ${values(1)} FROM (SELECT t.id AS g) AS s) WHERE ${condition}`,
  };
}
