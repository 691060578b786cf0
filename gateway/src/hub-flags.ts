/**
 * Node flags for the gateway process on a hub (512 MB, e.g. Raspberry Pi Zero 2 W class), as
 * `npm start -w @wardline/gateway` and the production image pass them (see gateway/README.md):
 * - a 1 MiB young generation instead of V8's default up to 16 MiB per semi-space: a replay burst
 *   otherwise grows it to 32 MiB of RSS that stays; a gateway allocates little per reading, so
 *   the extra scavenges cost next to nothing;
 * - V8's size-over-speed heuristics (smaller heap growth, less code kept);
 * - a 64 MiB old-generation ceiling (about three times what the gateway uses at peak) so a leak
 *   restarts the gateway, its readings safe in the outbox, before it starves the hub;
 * - garbage collection on the main thread only: no GC helper threads, each with its own malloc
 *   arena, for a heap of 20 MiB.
 * hub.test.ts checks that package.json's start script passes exactly these.
 */
export const HUB_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=1',
  '--optimize-for-size',
  '--max-old-space-size=64',
  '--single-threaded-gc',
];

/**
 * The environment the hub's process gets: one glibc malloc arena (the default is eight per core,
 * each holding on to freed memory; the gateway's allocations come from one thread).
 */
export const HUB_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' };
