/**
 * The provisioning file an admin downloads when registering or rotating a kit (the server's
 * POST /api/kits): broker URL (with several brokers, also the list `mqttUrls`), the hub's user name
 * and secret, its site and gateway codes and its devices. It holds a secret, so it should be
 * readable by the gateway's user alone.
 */
import { readFileSync, statSync } from 'node:fs';
import { isTopicSegment, PROVISIONING_FORMAT, type ProvisioningFile } from '@wardline/protocol';

export class ProvisioningError extends Error {
  override readonly name = 'ProvisioningError';
}

export function loadProvisioningFile(path: string): { file: ProvisioningFile; warnings: string[] } {
  const warnings: string[] = [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
    // Group or others may read it: the secret is as good as theirs.
    if ((statSync(path).mode & 0o077) !== 0) {
      warnings.push(
        `provisioning file ${path} is readable by other users: chmod 600 it (it holds the hub's secret)`,
      );
    }
  } catch (err) {
    throw new ProvisioningError(`cannot read the provisioning file ${path}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProvisioningError(`provisioning file ${path} is not JSON`);
  }
  return { file: parseProvisioning(json, path), warnings };
}

function parseProvisioning(json: unknown, path: string): ProvisioningFile {
  const bad = (what: string) => new ProvisioningError(`provisioning file ${path}: ${what}`);
  if (typeof json !== 'object' || json === null) throw bad('expected an object');
  const f = json as Record<string, unknown>;
  if (f.format !== PROVISIONING_FORMAT) throw bad(`"format" must be "${PROVISIONING_FORMAT}"`);
  for (const key of ['mqttUrl', 'username', 'password', 'site', 'gateway', 'issuedAt'] as const) {
    if (typeof f[key] !== 'string' || f[key] === '') throw bad(`"${key}" must be a non-empty string`);
  }
  if (f.mqttUrls !== undefined) {
    if (
      !Array.isArray(f.mqttUrls) ||
      f.mqttUrls.length === 0 ||
      !f.mqttUrls.every((u: unknown) => typeof u === 'string' && u !== '')
    ) {
      throw bad('"mqttUrls" must be a list of broker URLs');
    }
    // Gateways that know only "mqttUrl" must go to the same first broker as those reading the list.
    if (f.mqttUrls[0] !== f.mqttUrl) throw bad('"mqttUrl" must be the first of "mqttUrls"');
  }
  if (!isTopicSegment(f.site as string)) throw bad('"site" must be a site code');
  if (!isTopicSegment(f.gateway as string)) throw bad('"gateway" must be a gateway code');
  if (
    !Array.isArray(f.devices) ||
    !f.devices.every(
      (d: unknown) =>
        typeof d === 'object' &&
        d !== null &&
        typeof (d as { id?: unknown }).id === 'string' &&
        typeof (d as { model?: unknown }).model === 'string',
    )
  ) {
    throw bad('"devices" must be a list of { id, model }');
  }
  return f as unknown as ProvisioningFile;
}
