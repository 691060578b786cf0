/**
 * Concurrent gateway connections on one broker: every gateway with its own credentials, a
 * persistent session, a retained online status and a last will, held past two keep-alive
 * periods. Memory is the broker's resident set before and after. This machine caps every
 * process at 20,000 open files (a hard limit root cannot raise here), so the count is capped
 * just below that on both sides; the output says so.
 */
import { FleetRunner, planFleet } from '@wardline/firmware-sim';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tempDir } from '../../src/support.js';
import { WardlineSystem } from '../../src/system/system.js';
import { fmt, progress } from './report.js';

export function openFileLimit(): number {
  const match = /Max open files\s+(\d+)\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
  return match ? Number(match[2]) : Infinity;
}

export async function measureConnections(target: number, holdSeconds: number) {
  const limit = openFileLimit();
  const count = Math.min(target, limit - 300);
  const plan = planFleet({ gateways: count, residentsPerGateway: 1, seed: 3, bedsPerWard: 200 });
  progress(`connections: hashing ${fmt.int(count)} gateway passwords`);
  const system = await WardlineSystem.start({ plan, dir: tempDir('bench-connections'), server: false });
  const brokerIdle = system.broker.rssBytes();
  const clientBefore = process.memoryUsage().rss;
  const fleet = new FleetRunner(plan, { url: system.brokerUrl, password: system.gatewayPassword });
  const started = performance.now();
  const result = await fleet.connectAll(500, (p) =>
    progress(`connections: ${fmt.int(p.connected)} of ${fmt.int(p.total)} connected, ${p.failed} failed`),
  );
  const connectSeconds = (performance.now() - started) / 1000;
  progress(`connections: holding ${fmt.int(result.connected)} for ${holdSeconds} s (keep-alive 30 s)`);
  await sleep(holdSeconds * 1000);
  const held = fleet.connectedCount;
  const brokerHeld = system.broker.rssBytes();
  const clientHeld = process.memoryUsage().rss;
  await fleet.closeAll();
  await system.stop();
  return {
    target,
    holdSeconds,
    openFileLimit: limit,
    attempted: count,
    connected: result.connected,
    held,
    connectSeconds,
    connectsPerSecond: result.connected / connectSeconds,
    brokerIdleBytes: brokerIdle,
    brokerHeldBytes: brokerHeld,
    brokerBytesPerConnection: (brokerHeld - brokerIdle) / Math.max(1, held),
    clientBytesPerConnection: (clientHeld - clientBefore) / Math.max(1, held),
  };
}
