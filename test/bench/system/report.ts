/** Figures for the system benchmark: percentiles, progress lines and the final table. */
export interface Row {
  measure: string;
  value: string;
  baseline: string;
  ratio: string;
  target: string;
  verdict: string;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function latencySummary(samples: readonly number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
  };
}

const started = Date.now();
export function progress(message: string): void {
  const seconds = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  console.log(`[${seconds} s] ${message}`);
}

export const fmt = {
  int: (n: number) => Math.round(n).toLocaleString('en-GB'),
  ms: (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`,
  mib: (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`,
  kib: (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`,
  ratio: (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a'),
};

/** "met", or how far off the target is, in the target's own terms. */
export function verdict(value: number, target: number, higherIsBetter: boolean): string {
  const met = higherIsBetter ? value >= target : value <= target;
  if (met) return 'met';
  const off = higherIsBetter ? (target - value) / target : (value - target) / target;
  return `missed by ${(off * 100).toFixed(0)} %`;
}

export function printTable(rows: readonly Row[]): void {
  const headers: Row = {
    measure: 'measure',
    value: 'value',
    baseline: 'baseline',
    ratio: 'ratio',
    target: 'target',
    verdict: 'verdict',
  };
  const keys = Object.keys(headers) as (keyof Row)[];
  const widths = keys.map((k) => Math.max(headers[k].length, ...rows.map((r) => r[k].length)));
  const line = (r: Row) => keys.map((k, i) => r[k].padEnd(widths[i]!)).join(' | ');
  console.log(`\n${line(headers)}\n${widths.map((w) => '-'.repeat(w)).join('-+-')}`);
  for (const r of rows) console.log(line(r));
}
