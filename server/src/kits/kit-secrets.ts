import { randomBytes } from 'node:crypto';
import { hashKitSecret } from '@wardline/broker';

/**
 * A kit's MQTT password: 256 random bits, made here and shown once. Being unguessable, it is kept
 * as a fast salted HMAC (see hashKitSecret in the broker), which the broker checks in microseconds
 * when thousands of hubs reconnect at once.
 */
export function newKitSecret(): { secret: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, hash: hashKitSecret(secret) };
}

/** A gateway code that says nothing about whom the kit is for. */
export function randomGatewayCode(): string {
  return `kit-${randomBytes(4).toString('hex')}`;
}

/** The hub's MQTT user name (and client id), the same shape the demo's gateways use. */
export function kitUsername(siteCode: string, gatewayCode: string): string {
  return `${siteCode}.${gatewayCode}`;
}
