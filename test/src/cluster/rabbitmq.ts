/**
 * An N-node RabbitMQ cluster from Debian's package (`apt-get install rabbitmq-server`; the
 * service is not used), every node a real Erlang VM on 127.0.0.1 with its own data, log and
 * config, and its own epmd on a private port so that clusters of parallel runs never meet.
 * Nodes boot with the MQTT plugin enabled and join through classic-config peer discovery.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EngineProcess, freePort, portOpen, waitFor } from './process.js';

const BIN = '/usr/lib/rabbitmq/bin';

/** The configuration Wardline ships for RabbitMQ nodes (broker/rabbitmq/). */
const SHIPPED_DIR = resolve(import.meta.dirname, '../../../broker/rabbitmq');
/** Where the shipped rabbitmq.conf expects Wardline's auth service. */
const SHIPPED_AUTH_URL = 'http://127.0.0.1:8886';

/**
 * The shipped plugins and settings, pointed at an auth service at `authUrl`; the listeners are the
 * harness's own (a port per node).
 */
export function shippedRabbitConfig(authUrl: string): { plugins: string[]; extraConfig: string[] } {
  const plugins = readFileSync(join(SHIPPED_DIR, 'enabled_plugins'), 'utf8')
    .replace(/[[\].\s]/g, ' ')
    .split(/[ ,]+/)
    .filter(Boolean);
  const extraConfig = readFileSync(join(SHIPPED_DIR, 'rabbitmq.conf'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#') && !/^(mqtt\.)?listeners\./.test(line))
    .map((line) => line.replaceAll(SHIPPED_AUTH_URL, authUrl));
  return { plugins, extraConfig };
}

export interface RabbitNode {
  readonly name: string;
  readonly amqpPort: number;
  readonly mqttPort: number;
  readonly amqpUrl: string;
  readonly mqttUrl: string;
  /** The Erlang VM of this node (the start script execs into it). */
  readonly process: EngineProcess;
  kill9(): Promise<void>;
}

export interface RabbitCluster {
  readonly nodes: readonly RabbitNode[];
  /** rabbitmqctl (or another CLI in Debian's bin dir) against one node. */
  cli(
    tool: 'rabbitmqctl' | 'rabbitmq-queues' | 'rabbitmq-diagnostics',
    node: RabbitNode,
    ...args: string[]
  ): Promise<string>;
  /** Names of the nodes the cluster currently reports running. */
  runningNodes(via: RabbitNode): Promise<string[]>;
  stop(): Promise<void>;
}

export interface RabbitClusterOptions {
  nodes?: number;
  /** Plugins enabled on every node; the MQTT plugin by default. */
  plugins?: readonly string[];
  /** Extra lines for rabbitmq.conf (sysctl format), e.g. the HTTP auth backend's URLs. */
  extraConfig?: readonly string[];
}

export async function startRabbitCluster(options: RabbitClusterOptions = {}): Promise<RabbitCluster> {
  const count = options.nodes ?? 3;
  const plugins = options.plugins ?? ['rabbitmq_mqtt'];
  const root = mkdtempSync(join(tmpdir(), 'wardline-rabbit-'));
  // One cookie for every node and for the CLI, which all find it under HOME.
  writeFileSync(join(root, '.erlang.cookie'), randomBytes(16).toString('hex'), { mode: 0o400 });
  const epmdPort = await freePort();
  const baseEnv = {
    ...process.env,
    HOME: root,
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_CONF_ENV_FILE: join(root, 'rabbitmq-env.conf'),
  };
  writeFileSync(join(root, 'rabbitmq-env.conf'), '');
  // Started here, on loopback: left to itself the CLI would start one listening on every interface.
  const epmd = new EngineProcess('epmd', 'epmd', ['-address', '127.0.0.1', '-port', String(epmdPort)], {
    env: baseEnv,
    logPath: join(root, 'epmd.log'),
  });
  await waitFor('epmd', () => portOpen(epmdPort));

  const specs: { name: string; dir: string; amqpPort: number; mqttPort: number; distPort: number }[] = [];
  for (let i = 0; i < count; i++) {
    specs.push({
      name: `wardline${i + 1}-${process.pid}@localhost`,
      dir: join(root, `node${i + 1}`),
      amqpPort: await freePort(),
      mqttPort: await freePort(),
      distPort: await freePort(),
    });
  }
  const nodes: RabbitNode[] = [];
  const cli: RabbitCluster['cli'] = (tool, node, ...args) =>
    new Promise((resolve, reject) =>
      execFile(
        join(BIN, tool),
        ['-n', node.name, ...args],
        { env: baseEnv, timeout: 60_000 },
        (error, stdout, stderr) =>
          error
            ? reject(new Error(`${tool} ${args.join(' ')}: ${error.message} ${stderr}`))
            : resolve(stdout),
      ),
    );

  const boot = async (spec: (typeof specs)[number]): Promise<RabbitNode> => {
    mkdirSync(spec.dir, { recursive: true });
    const config = join(spec.dir, 'rabbitmq.conf');
    writeFileSync(
      config,
      [
        `listeners.tcp.default = 127.0.0.1:${spec.amqpPort}`,
        `mqtt.listeners.tcp.default = 127.0.0.1:${spec.mqttPort}`,
        'mqtt.allow_anonymous = true',
        'loopback_users = none',
        'cluster_formation.peer_discovery_backend = classic_config',
        ...specs.map((s, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${s.name}`),
        ...(options.extraConfig ?? []),
        '',
      ].join('\n'),
    );
    writeFileSync(join(spec.dir, 'enabled_plugins'), `[${plugins.join(',')}].\n`);
    const proc = new EngineProcess(spec.name, join(BIN, 'rabbitmq-server'), [], {
      env: {
        ...baseEnv,
        RABBITMQ_NODENAME: spec.name,
        RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
        RABBITMQ_NODE_PORT: String(spec.amqpPort),
        RABBITMQ_DIST_PORT: String(spec.distPort),
        RABBITMQ_MNESIA_BASE: join(spec.dir, 'mnesia'),
        RABBITMQ_LOG_BASE: join(spec.dir, 'log'),
        RABBITMQ_CONFIG_FILE: config,
        RABBITMQ_ADVANCED_CONFIG_FILE: join(spec.dir, 'advanced.config'),
        RABBITMQ_ENABLED_PLUGINS_FILE: join(spec.dir, 'enabled_plugins'),
        // No scheduler busy-waiting: on a shared machine spinning schedulers read as CPU the node
        // does not need (RabbitMQ's advice for shared hosts and containers).
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS:
          '-kernel inet_dist_use_interface {127,0,0,1} +sbwt none +sbwtdcpu none +sbwtdio none',
        // The script then execs the VM instead of wrapping it: the PID is the node's, so kill -9
        // hits the node itself.
        RUNNING_UNDER_SYSTEMD: 'true',
      },
      logPath: join(spec.dir, 'stdout.log'),
    });
    const node: RabbitNode = {
      name: spec.name,
      amqpPort: spec.amqpPort,
      mqttPort: spec.mqttPort,
      amqpUrl: `amqp://guest:guest@127.0.0.1:${spec.amqpPort}`,
      mqttUrl: `mqtt://127.0.0.1:${spec.mqttPort}`,
      process: proc,
      kill9: () => proc.kill9(),
    };
    // The MQTT listener opens last, once the node and its plugins have booted.
    await waitFor(
      `${spec.name} booted`,
      async () => {
        if (!proc.running) throw new Error(`${spec.name} exited: ${proc.output}`);
        return (await portOpen(spec.amqpPort)) && (await portOpen(spec.mqttPort));
      },
      120_000,
    );
    const comm = readFileSync(`/proc/${proc.pid}/comm`, 'utf8').trim();
    if (comm !== 'beam.smp') throw new Error(`${spec.name}: PID ${proc.pid} is ${comm}, not the Erlang VM`);
    return node;
  };

  const cluster: RabbitCluster = {
    nodes,
    cli,
    async runningNodes(via) {
      const status = JSON.parse(await cli('rabbitmqctl', via, 'cluster_status', '--formatter', 'json')) as {
        running_nodes: string[];
      };
      return status.running_nodes;
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.process.stop()));
      await epmd.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    // The first node forms the cluster; the others find it running and join it.
    nodes.push(await boot(specs[0]!));
    nodes.push(...(await Promise.all(specs.slice(1).map(boot))));
    await waitFor(
      `${count} nodes clustered`,
      async () => (await cluster.runningNodes(nodes[0]!)).length === count,
      60_000,
    );
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

/** Waits until a dead node has left the running set (the survivors noticed it). */
export async function waitNodeDown(cluster: RabbitCluster, dead: RabbitNode, via: RabbitNode): Promise<void> {
  while ((await cluster.runningNodes(via)).includes(dead.name)) await sleep(200);
}

/** The node leading a quorum queue (its Raft leader), as the cluster reports it. */
export async function queueLeader(
  cluster: RabbitCluster,
  queue: string,
  via: RabbitNode,
): Promise<RabbitNode> {
  const rows = JSON.parse(
    await cluster.cli('rabbitmqctl', via, 'list_queues', 'name', 'leader', '--formatter', 'json', '--quiet'),
  ) as { name: string; leader: string }[];
  const leader = rows.find((r) => r.name === queue)?.leader;
  const node = cluster.nodes.find((n) => n.name === leader);
  if (!node) throw new Error(`no leader found for ${queue}: ${JSON.stringify(rows)}`);
  return node;
}
