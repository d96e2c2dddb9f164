/**
 * How the commands print: aligned text tables for people, one JSON document per line for programs.
 * Tables never wrap a row: the last column is cut to the terminal's width (80 columns when the
 * output is not a terminal).
 */
import { truncate } from '../inspection/text.js';

export { truncate };

/** The width rows are cut to: the terminal's, else `COLUMNS`, else 80. */
export function outputWidth(stream: NodeJS.WriteStream = process.stdout): number {
  if (stream.isTTY && stream.columns > 0) return stream.columns;
  const columns = Number(process.env['COLUMNS']);
  return Number.isInteger(columns) && columns > 0 ? columns : 80;
}

/** Rows under a header, columns padded to their widest cell, the last column cut to fit `width`. */
export function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  width: number,
): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => [...(row[column] ?? '')].length)));
  const lines = all.map((row) => {
    const leading = row
      .slice(0, -1)
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ');
    const last = row.at(-1) ?? '';
    const prefix = row.length > 1 ? `${leading}  ` : '';
    return `${prefix}${truncate(last, width - [...prefix].length)}`.trimEnd();
  });
  return `${lines.join('\n')}\n`;
}

/** A value as compact JSON on one line. */
export function compactJson(value: unknown): string {
  return JSON.stringify(value) ?? 'undefined';
}
