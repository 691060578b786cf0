/**
 * One process's share of a connection benchmark across broker nodes: a process here cannot open
 * more than 20,000 files, so 40,000 gateways take several of these. Connects its slice of the
 * fleet (each gateway its own credentials, persistent session, retained status and will, its node
 * list starting at a node of its own), reports progress to the parent over IPC, answers 'count'
 * with the connections still open, and on 'stop' closes them and exits.
 *
 * argv[2]: a JSON file { plan: FleetOptions, from, to, urls, passwords: { username: password } }.
 */
import { FleetRunner, planFleet, type FleetOptions } from '@wardline/firmware-sim';
import { readFileSync } from 'node:fs';

interface HolderInput {
  plan: FleetOptions;
  from: number;
  to: number;
  urls: string[];
  passwords: Record<string, string>;
}

const input = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as HolderInput;
const whole = planFleet(input.plan);
const gateways = whole.gateways.slice(input.from, input.to);
const fleet = new FleetRunner(
  { ...whole, gateways, residents: gateways.flatMap((g) => g.residents) },
  {
    url: input.urls[0]!,
    urls: input.urls,
    password: (g) => input.passwords[g.username]!,
    // A gateway's own keep-alive; the broker must see each one alive through the hold.
    keepaliveSeconds: 30,
  },
);

// A few connects at a time, and the refused ones again, as a gateway retries: password checks are
// bounded (a full queue is refused), and a thundering herd of first logins would be refused in bulk.
let pending = fleet.clients;
let connected = 0;
for (let round = 0; round < 10 && pending.length > 0; round++) {
  const result = await fleet.connectAll(
    8,
    (p) => process.send?.({ type: 'progress', connected: connected + p.connected, failed: p.failed }),
    pending,
  );
  connected += result.connected;
  pending = pending.filter((c) => !c.connected);
}
process.send?.({ type: 'connected', connected, failed: pending.length });
process.on('message', (message) => {
  if (message === 'count') process.send?.({ type: 'count', open: fleet.connectedCount });
  if (message === 'stop')
    void fleet.closeAll().finally(() => process.send?.({ type: 'stopped' }, () => process.exit(0)));
});
