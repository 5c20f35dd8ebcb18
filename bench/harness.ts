/**
 * Benchmarks report ratios, never bare timings: these machines are shared and noisy, so each figure
 * is measured beside a baseline doing the same work the simplest way, in the same run.
 */
export interface BenchFigure {
  name: string;
  /** What the ratio compares, e.g. "signed deliveries/s ÷ plain POSTs/s". */
  ratioOf: string;
  ratio: number;
  /** Absolute numbers beside it, for the record (machine-dependent). */
  value: number;
  baseline: number;
  unit: string;
  /** A target from an issue, if any: the ratio should be at least this. */
  target?: number;
}

export interface Bench {
  name: string;
  run(): Promise<BenchFigure[]>;
}

/** Runs `fn` for about `ms` milliseconds (at least `min` times) and returns operations per second. */
export async function throughput(fn: () => Promise<unknown>, ms = 3000, min = 20): Promise<number> {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms || n < min) {
    await fn();
    n++;
  }
  return (n * 1000) / (performance.now() - start);
}

export function figure(f: BenchFigure): string {
  const target = f.target === undefined ? '' : f.ratio >= f.target ? `  (target ≥ ${f.target}: met)` : `  (target ≥ ${f.target}: NOT met)`;
  return `${f.name}: ${f.ratio.toFixed(2)}x  [${f.ratioOf}: ${f.value.toFixed(1)} / ${f.baseline.toFixed(1)} ${f.unit}]${target}`;
}
