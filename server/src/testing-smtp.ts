import { SMTPServer } from 'smtp-server';
import type { SmtpConfig } from './alerts/config.js';

export interface Mail {
  to: string[];
  /** The message as sent (nodemailer sends quoted-printable). */
  raw: string;
  /** The message text as a reader sees it: soft line breaks joined, =XX escapes decoded. */
  text: string;
}

export interface SmtpPeer {
  port: number;
  /** Every message received, in order. */
  mailbox: Mail[];
  /** The server's SMTP setting that sends through this peer, from `from`. */
  settings(from: string): SmtpConfig;
  close(): Promise<void>;
}

const readable = (raw: string) =>
  raw
    .replace(/=\r?\n/g, '')
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));

/** A real SMTP server on 127.0.0.1 (a free port) that keeps what it receives, for tests. */
export async function startSmtpPeer(): Promise<SmtpPeer> {
  const mailbox: Mail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString();
        mailbox.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, text: readable(raw) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    mailbox,
    settings: (from) => ({ host: '127.0.0.1', port, secure: false, from }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
