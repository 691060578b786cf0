import { collectDefaultMetrics, Counter, Registry } from 'prom-client';

let processMetrics: Registry | undefined;

/**
 * CPU, memory, event-loop and GC metrics of this process. One registry per process, not per
 * server: collectDefaultMetrics installs a GC observer and an event-loop monitor that are never
 * removed, so calling it for every server a test starts would pile them up, and they describe
 * the process anyway.
 */
export function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

/** The Prometheus text of a server's own registries and the process's. */
export async function exposition(registries: readonly Registry[]): Promise<string> {
  // merge refuses two metrics of one name: a clash fails loudly instead of hiding a family.
  return Registry.merge([...registries, processRegistry()]).metrics();
}

export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * A counter whose count another component already keeps: read at scrape time, so the two can
 * never disagree. The source only ever grows.
 */
export function counterFrom<L extends string>(
  registry: Registry,
  spec: { name: string; help: string; labelNames: readonly L[] },
  read: () => Iterable<readonly [Partial<Record<L, string>>, number]>,
): Counter<L> {
  return new Counter<L>({
    ...spec,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.inc(labels, value);
    },
  });
}
