import type { Client } from 'aedes';

/**
 * aedes processes one connection's packets in order, and a PUBLISH is done only once every online
 * subscriber's socket has taken it (lib/write.js waits for 'drain' when the socket's buffer is
 * past its 16 KiB high-water mark). So while the server is slower than the gateways (a reconnect
 * storm replaying an hour of readings), each gateway's replayed batch waits for the server's
 * socket to drain, and the fall the same gateway sends next is not even read until then: the
 * storm bench saw falls reach the nurse after 6 to 10 s, every one of them behind its own
 * gateway's replay.
 *
 * By the time it is written to a persistent subscriber, a message is already stored in that
 * subscriber's durable queue (aedes enqueues for persistent sessions before it delivers), so the
 * publisher need not wait for the subscriber's socket: for the server's sessions this lets a
 * write that finds the socket's buffer full report done at once, up to `maxBufferedBytes` of
 * bytes not yet taken by the server. Past that, writes wait for 'drain' as before, so memory stays
 * bounded and a server that has stopped reading still holds the gateways back.
 */
export function bufferSubscriberWrites(client: Client, maxBufferedBytes: number): void {
  const internals = client as unknown as {
    conn: { writableLength: number };
    waitForDrain(callback: (error?: Error | null) => void): void;
  };
  const waitForDrain = internals.waitForDrain.bind(client);
  internals.waitForDrain = (callback) => {
    if (internals.conn.writableLength <= maxBufferedBytes) setImmediate(callback);
    else waitForDrain(callback);
  };
}

/**
 * Bytes the broker holds for one server session beyond what its socket has taken (a little more in
 * practice: publishes already on their way when the limit is crossed still write, under 1 MB in
 * falls-first.test.ts). Measured with the system bench (10,000 gateways replaying an hour each,
 * 600,000 readings): with 4 MiB falls took p99 590 ms and at most 2.4 s; with 16 MiB p99 154 ms and
 * at most 157 ms, backlog batches going through at 17,800 readings/s; with 64 MiB the broker spent
 * 0.87 of a core rewriting its long socket queue and backlog ingest fell to 8,000 readings/s.
 */
export const DEFAULT_SUBSCRIBER_BUFFER_BYTES = 16 * 1024 * 1024;
