/**
 * Binds each MQTT client id to the user that holds it. Without this, any authenticated user could
 * connect with another's client id, take over its session [MQTT-3.1.4-2] and be handed the QoS 1
 * messages queued for it. A binding lasts while a connection holds the id and, for a persistent
 * session (clean = false), as long as the broker keeps that session.
 */
export class ClientIdOwners {
  readonly #owners = new Map<string, { username: string; connections: number; persistent: boolean }>();

  /** False when another user holds the id; otherwise records one more connection for it. */
  claim(clientId: string, username: string, persistent: boolean): boolean {
    const owner = this.#owners.get(clientId);
    if (owner === undefined) {
      this.#owners.set(clientId, { username, connections: 1, persistent });
      return true;
    }
    if (owner.username !== username) return false;
    owner.connections += 1;
    // A clean connect discards the stored session [MQTT-3.1.2-6], so the latest connect decides.
    owner.persistent = persistent;
    return true;
  }

  /** Called once per successful claim when that connection ends. */
  release(clientId: string): void {
    const owner = this.#owners.get(clientId);
    if (owner === undefined) return;
    owner.connections = Math.max(0, owner.connections - 1);
    if (owner.connections === 0 && !owner.persistent) this.#owners.delete(clientId);
  }

  ownerOf(clientId: string): string | undefined {
    return this.#owners.get(clientId)?.username;
  }
}
