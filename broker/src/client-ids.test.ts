import { describe, expect, it } from 'vitest';
import { ClientIdOwners } from './client-ids.js';

describe('ClientIdOwners', () => {
  it('keeps a client id for its user while connected and refuses it to others', () => {
    const owners = new ClientIdOwners();
    expect(owners.claim('gw', 'a.g1', false)).toBe(true);
    expect(owners.claim('gw', 'b.g2', false)).toBe(false);
    expect(owners.claim('gw', 'a.g1', false)).toBe(true);
    expect(owners.ownerOf('gw')).toBe('a.g1');
  });

  it('frees a clean-session id when its last connection ends', () => {
    const owners = new ClientIdOwners();
    owners.claim('c', 'a.g1', false);
    owners.claim('c', 'a.g1', false);
    owners.release('c');
    expect(owners.claim('c', 'b.g2', false)).toBe(false);
    owners.release('c');
    expect(owners.ownerOf('c')).toBeUndefined();
    expect(owners.claim('c', 'b.g2', false)).toBe(true);
  });

  it('keeps a persistent-session id bound after disconnect, until a clean connect ends it', () => {
    const owners = new ClientIdOwners();
    owners.claim('server', 'server', true);
    owners.release('server');
    expect(owners.claim('server', 'a.g1', false)).toBe(false);

    owners.claim('server', 'server', false);
    owners.release('server');
    expect(owners.claim('server', 'a.g1', false)).toBe(true);
  });

  it('ignores a release for an id it does not know', () => {
    const owners = new ClientIdOwners();
    owners.release('nobody');
    expect(owners.ownerOf('nobody')).toBeUndefined();
  });
});
