/**
 * An N-node aedes cluster on one Redis (see `aedes-node.ts`), every node and Redis a real
 * process on 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EngineProcess, freePort, portOpen, waitFor } from '../../../src/cluster/process.js';
import { startRedis, type RunningRedis } from './redis.js';

export interface AedesNode {
  readonly name: string;
  readonly mqttPort: number;
  readonly mqttUrl: string;
  readonly process: EngineProcess;
  kill9(): Promise<void>;
}

export interface AedesCluster {
  readonly nodes: readonly AedesNode[];
  readonly redis: RunningRedis;
  stop(): Promise<void>;
}

const nodeScript = resolve(import.meta.dirname, 'aedes-node.ts');

export async function startAedesCluster(
  options: { nodes?: number; maxSessionDelivery?: number } = {},
): Promise<AedesCluster> {
  const root = mkdtempSync(join(tmpdir(), 'wardline-aedes-'));
  const redis = await startRedis();
  const nodes: AedesNode[] = [];
  const cluster: AedesCluster = {
    nodes,
    redis,
    async stop() {
      await Promise.all(nodes.map((n) => n.process.stop()));
      await redis.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    for (let i = 0; i < (options.nodes ?? 3); i++) {
      const port = await freePort();
      const name = `aedes${i + 1}`;
      // node itself (not the tsx CLI, which forks a grandchild), so kill -9 hits the broker.
      const proc = new EngineProcess(name, process.execPath, ['--import', 'tsx', nodeScript], {
        cwd: import.meta.dirname,
        env: {
          ...process.env,
          AEDES_PORT: String(port),
          AEDES_ID: name,
          REDIS_PORT: String(redis.port),
          ...(options.maxSessionDelivery ? { MAX_SESSION_DELIVERY: String(options.maxSessionDelivery) } : {}),
        },
        logPath: join(root, `${name}.log`),
      });
      nodes.push({
        name,
        mqttPort: port,
        mqttUrl: `mqtt://127.0.0.1:${port}`,
        process: proc,
        kill9: () => proc.kill9(),
      });
    }
    for (const node of nodes) {
      await waitFor(`${node.name} listening`, async () => {
        if (!node.process.running) throw new Error(`${node.name} exited: ${node.process.output}`);
        return portOpen(node.mqttPort);
      });
    }
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
