import nodemailer, { type Transporter } from 'nodemailer';
import type { SmtpConfig } from '../alerts/config.js';

export interface Mailer {
  send(to: string, subject: string, text: string): Promise<void>;
  close(): void;
}

export function createMailer(config: SmtpConfig): Mailer {
  const transport: Transporter = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.secure,
    ...(config.user ? { auth: { user: config.user, pass: config.password ?? '' } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    async send(to, subject, text) {
      await transport.sendMail({ from: config.from, to, subject, text });
    },
    close() {
      transport.close();
    },
  };
}
