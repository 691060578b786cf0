import type { Client } from 'aedes';

/**
 * aedes drops, without a word, any QoS message whose broker counter is lower than the last one
 * it delivered to that client (`dedupe` in aedes/lib/client.js). Counters are handed out when a
 * PUBLISH arrives, but with a durable persistence each message then waits on its own disk write
 * before delivery, so they reach a subscriber slightly out of counter order, and the overtaken
 * message is never delivered to the online client: our load test lost ~4 % of readings this
 * way with aedes 1.2 and aedes-persistence-level 9.2. QoS 1 is "at least once" and every
 * Wardline consumer de-duplicates by message content, so we turn the counter check off: a rare
 * repeat is harmless, a silent loss is not.
 */
export function deliverOutOfCounterOrder(client: Client): void {
  (client as unknown as { duplicates: Record<string, number> }).duplicates = new Proxy(
    {},
    { get: () => 0, set: () => true },
  );
}
