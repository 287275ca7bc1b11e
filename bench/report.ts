/**
 * How results are printed: the machine header, goal verdicts, aligned tables.
 */
import { arch, availableParallelism, cpus, platform } from 'node:os';

/** One line naming the machine, the runtime and the date, printed before any figure. */
export function machineLine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const date = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  return `rtmskit bench: ${availableParallelism()} cores (${model}), Node ${process.version}, ${platform()} ${arch()}, ${date}`;
}

/** `goal ≤ 1.5×: met` or `… NOT met`, decided from the measured figure. */
export function goal(text: string, ok: boolean): string {
  return `goal ${text}: ${ok ? 'met' : 'NOT met'}`;
}

/** 12,345 */
export function int(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/**
 * Prints rows as columns: the first `left` columns aligned left, the others right, a rule under the
 * header row, each line indented by `indent`.
 */
export function printTable(rows: readonly (readonly string[])[], left = 1, indent = '  '): void {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  for (const [i, row] of rows.entries()) {
    const cells = row.map((cell, col) =>
      col < left ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!),
    );
    console.log(indent + cells.join('  ').trimEnd());
    if (i === 0) console.log((indent + widths.map((w) => '-'.repeat(w)).join('  ')).trimEnd());
  }
}

/**
 * Prints table rows one at a time, as results come in: columns as wide as the header or `minWidths`, the
 * first `left` aligned left. `header()` prints the header row and its rule.
 */
export class RowPrinter {
  private readonly widths: number[];

  constructor(
    private readonly head: readonly string[],
    minWidths: readonly number[],
    private readonly left = 1,
    private readonly indent = '  ',
  ) {
    this.widths = head.map((h, col) => Math.max(h.length, minWidths[col] ?? 0));
  }

  header(): void {
    this.row(this.head);
    console.log((this.indent + this.widths.map((w) => '-'.repeat(w)).join('  ')).trimEnd());
  }

  row(cells: readonly string[]): void {
    const padded = cells.map((cell, col) =>
      col < this.left ? cell.padEnd(this.widths[col] ?? 0) : cell.padStart(this.widths[col] ?? 0),
    );
    console.log(this.indent + padded.join('  ').trimEnd());
  }
}
