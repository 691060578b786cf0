/**
 * Run as a process of its own (an attacker is another machine): opens `count` TCP connections
 * from `localAddress` at once, each sending one MQTT 3.1.1 CONNECT with a wrong password, and
 * reports on stdout, one JSON line each, when the first and half the CONNECTs are on the wire
 * ("first", "half") and how each ended ("done": CONNACK return codes, or "closed"/"timeout"
 * without one). Bare sockets and prebuilt packets rather than MQTT clients, and a process apart
 * from the test's: the flood's own work must not slow the broker or the real gateway's connect
 * being timed, any more than an attacker elsewhere would.
 *
 *   node --import tsx connect-flood.ts '{"url":"mqtt://127.0.0.1:1883","count":2000,...}'
 */
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';
import { connect as tcpConnect } from 'node:net';
import { createInterface } from 'node:readline';

export interface ConnectFloodOptions {
  url: string;
  count: number;
  localAddress: string;
  /** User names to use in turn; a name nobody has costs the broker a full password check too. */
  usernames: string[];
}

export interface ConnectFloodResult {
  codes: Record<string, number>;
  slowestMs: number;
}

/** A length-prefixed UTF-8 string [MQTT-1.5.3]. */
function mqttString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

/** Remaining length as a variable byte integer [MQTT-2.2.3]. */
function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

/** CONNECT, MQTT 3.1.1 [MQTT-3.1]: clean session, user name and password, keep-alive 60 s. */
export function connectPacket(clientId: string, username: string, password: string): Buffer {
  const variableHeader = Buffer.concat([mqttString('MQTT'), Buffer.from([4, 0xc2, 0, 60])]);
  const payload = Buffer.concat([mqttString(clientId), mqttString(username), mqttString(password)]);
  const body = Buffer.concat([variableHeader, payload]);
  return Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]);
}

/** Sends the CONNECT; resolves with the CONNACK's return code [MQTT-3.2.2.3]. */
function connectOnce(
  url: URL,
  localAddress: string,
  packet: Buffer,
  onWire: () => void,
  timeoutMs: number,
): Promise<{ code: number | 'closed' | 'timeout'; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    let received = Buffer.alloc(0);
    const socket = tcpConnect({ host: url.hostname, port: Number(url.port), localAddress }, () => {
      socket.write(packet);
      onWire();
    });
    const finish = (code: number | 'closed' | 'timeout') => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ code, ms: performance.now() - started });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      // CONNACK: 0x20, remaining length 2, acknowledge flags, return code.
      if (received.length >= 4) finish(received[0] === 0x20 ? received[3]! : 'closed');
    });
    socket.on('error', () => finish('closed'));
    socket.on('close', () => finish('closed'));
  });
}

async function main(options: ConnectFloodOptions): Promise<void> {
  const url = new URL(options.url);
  let onWire = 0;
  const sent = () => {
    if (onWire === 0) console.log(JSON.stringify({ event: 'first' }));
    if (++onWire === Math.ceil(options.count / 2)) console.log(JSON.stringify({ event: 'half' }));
  };
  const outcomes = Array.from({ length: options.count }, (_, i) => {
    const username = options.usernames[i % options.usernames.length]!;
    return connectOnce(
      url,
      options.localAddress,
      connectPacket(`${username}:${i}`, username, `wrong-${i}`),
      sent,
      60_000,
    );
  });
  const results = await Promise.all(outcomes);
  const codes: Record<string, number> = {};
  for (const r of results) codes[String(r.code)] = (codes[String(r.code)] ?? 0) + 1;
  const result: ConnectFloodResult = { codes, slowestMs: Math.max(...results.map((r) => r.ms)) };
  console.log(JSON.stringify({ event: 'done', ...result }));
}

/** Starts the flood in a child process; `first` and `half` resolve as the CONNECTs go on the wire. */
export function startConnectFlood(options: ConnectFloodOptions): {
  first: Promise<void>;
  half: Promise<void>;
  done: Promise<ConnectFloodResult>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, JSON.stringify(options)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // A real attacker runs on its own machine: at the lowest priority here, the flood's own CPU does
  // not come out of the broker's share on a shared test machine.
  if (child.pid !== undefined) setPriority(child.pid, 19);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let onFirst: () => void = () => {};
  const first = new Promise<void>((resolve) => (onFirst = resolve));
  let onHalf: () => void = () => {};
  const half = new Promise<void>((resolve) => (onHalf = resolve));
  const done = new Promise<ConnectFloodResult>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const message = JSON.parse(line) as { event: string } & ConnectFloodResult;
      if (message.event === 'first') onFirst();
      if (message.event === 'half') onHalf();
      if (message.event === 'done') resolve({ codes: message.codes, slowestMs: message.slowestMs });
    });
    child.once('exit', (code) => {
      process.off('exit', killOnExit);
      onFirst();
      onHalf();
      reject(new Error(`the connect flood exited with ${code} before reporting`));
    });
  });
  return { first, half, done };
}

if (process.argv[1] === import.meta.filename) {
  main(JSON.parse(process.argv[2]!) as ConnectFloodOptions).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
