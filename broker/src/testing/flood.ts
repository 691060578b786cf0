/**
 * Many CONNECTs at once from a child process: first it opens every connection, then, on `fire`, it
 * writes every CONNECT in one go, so that they all reach the broker within a few milliseconds and
 * are all in flight together. Opening the sockets first keeps the cost of creating them (the
 * attacker's, on its own machine in real life) out of the measured window.
 */
import { spawn } from 'node:child_process';
import { setPriority } from 'node:os';

export interface Flood {
  /** Every connection is open, nothing sent yet. */
  ready: Promise<void>;
  /** Writes every CONNECT; resolves once the broker has answered the first (all were sent by then). */
  fire(): Promise<void>;
  /** CONNACK return code per CONNECT, null where the connection closed without one. */
  answers: Promise<Array<number | null>>;
  stop(): Promise<void>;
}

// Plain JavaScript, run by node without the TypeScript loader.
const floodProcess = `
const { connect } = require('node:net');
process.once('message', ({ port, packets }) => {
  const answers = new Array(packets.length).fill(undefined);
  let pending = answers.length;
  let opened = 0;
  let first = true;
  const settle = (index, code) => {
    if (answers[index] !== undefined) return;
    answers[index] = code;
    if (first) { first = false; process.send({ answering: true }); }
    if (--pending === 0) process.send({ answers });
  };
  const sockets = packets.map((packet, index) => {
    const socket = connect(port, '127.0.0.1', () => { if (++opened === packets.length) process.send({ ready: true }); });
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => { if (chunk.length >= 4 && chunk[0] === 0x20) settle(index, chunk[3]); socket.destroy(); });
    socket.once('close', () => settle(index, null));
    return socket;
  });
  process.once('message', () => sockets.forEach((socket, index) => socket.write(Buffer.from(packets[index], 'base64'))));
});
`;

export function flood(port: number, packets: Buffer[]): Flood {
  const child = spawn(process.execPath, ['-e', floodProcess], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  // A real attacker runs on its own machine: at the lowest priority here, the flood's own CPU does
  // not come out of the broker's share on a shared test machine.
  if (child.pid !== undefined) setPriority(child.pid, 19);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signals: Record<'ready' | 'answering', () => void> = {
    ready: () => undefined,
    answering: () => undefined,
  };
  const ready = new Promise<void>((resolve) => (signals.ready = resolve));
  const answering = new Promise<void>((resolve) => (signals.answering = resolve));
  let answered!: (codes: Array<number | null>) => void;
  let failed!: (error: Error) => void;
  const answers = new Promise<Array<number | null>>((resolve, reject) => {
    answered = resolve;
    failed = reject;
  });
  answers.catch(() => undefined);
  child.on('message', (message: { ready?: true; answering?: true; answers?: Array<number | null> }) => {
    if (message.ready) signals.ready();
    if (message.answering) signals.answering();
    if (message.answers) answered(message.answers);
  });
  child.once('exit', (code) => failed(new Error(`flood process exited (${code}) before every answer`)));
  child.send({ port, packets: packets.map((packet) => packet.toString('base64')) });
  return {
    ready,
    fire: () => {
      child.send('fire');
      return answering;
    },
    answers,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      await exited;
    },
  };
}
