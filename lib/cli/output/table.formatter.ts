/** Column alignment: numbers read best right-aligned. */
export type Align = 'left' | 'right';

/**
 * Rows as text columns, two spaces apart, headers first; the last column is
 * not padded (no trailing spaces). Widths count characters, not display cells.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) => {
        const last = column === cells.length - 1;
        if (align[column] === 'right') return cell.padStart(widths[column]!);
        return last ? cell : cell.padEnd(widths[column]!);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** Label/value pairs as two columns. */
export function formatPairs(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n') + '\n';
}

/** JSON for scripts: two-space indentation, a final newline. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2) ?? 'null'}\n`;
}
