/**
 * Sites, wards, beds and patients on both engines the records can live in: the same answers from
 * the embedded SQLite file and from a shared PostgreSQL server.
 */
import type { Site } from '@wardline/protocol';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, expect, it } from 'vitest';
import { describeEngines } from '../testing-sql.js';
import type { SqlDatabase } from './engines/engine.js';
import { createPatientRepository } from './patient-repository.js';
import { createPlaceRepository } from './place-repository.js';
import { createWardRepository } from './ward-repository.js';

const AT = '2026-11-29T08:00:00.000Z';
const LATER = '2026-11-29T09:00:00.000Z';

describeEngines('places and patients', (open) => {
  const opened: SqlDatabase[] = [];
  afterEach(async () => {
    for (const sql of opened.splice(0)) await sql.close();
  });

  /** An empty database with a second organisation and a site of each. */
  async function records() {
    const sql = await open();
    opened.push(sql);
    await sql.run(`INSERT INTO organisations (id, name, created_at) VALUES (?, ?, ?)`, ['org-b', 'B', AT]);
    const places = createPlaceRepository(sql);
    const wards = createWardRepository(sql);
    const patients = createPatientRepository(sql);
    const site = (await places.createSite('org-default', {
      name: 'Rose House',
      kind: 'care_home',
      code: 'rose',
    })) as Site;
    return { sql, places, wards, patients, site };
  }

  it('creates sites with unique codes, lists an organisation’s open ones and closes them with their wards', async () => {
    const { places, site } = await records();
    expect(site).toMatchObject({
      organisationId: 'org-default',
      code: 'rose',
      name: 'Rose House',
      kind: 'care_home',
      closedAt: null,
    });
    // Codes are MQTT topic segments: taken by any organisation means taken.
    expect(
      await places.createSite('org-b', { name: 'Other', kind: 'virtual_ward', code: 'rose' }),
    ).toBeNull();
    const ash = (await places.createSite('org-default', { name: 'Ash', kind: 'virtual_ward', code: 'ash' }))!;
    await places.createSite('org-b', { name: 'Birch', kind: 'care_home', code: 'birch' });
    expect((await places.listSites('org-default')).map((s) => s.code)).toEqual(['ash', 'rose']);
    expect(await places.organisationOfSiteCode('birch')).toBe('org-b');
    expect(await places.organisationOfSiteCode('nowhere')).toBeNull();
    expect(await places.siteCodesOf('org-default')).toEqual(new Set(['ash', 'rose']));

    const ward = await places.createWard(ash, { name: 'Hub', beds: 2 });
    await places.closeSite(ash.id, LATER);
    expect((await places.listSites('org-default')).map((s) => s.code)).toEqual(['rose']);
    expect((await places.listSites('org-default', true)).map((s) => s.code)).toEqual(['ash', 'rose']);
    expect(await places.wardScope(ward.id)).toMatchObject({ closedAt: LATER, siteId: ash.id });
    expect((await places.bedList(ward.id)).map((b) => b.closedAt)).toEqual([LATER, LATER]);
    // Closing again keeps the first time.
    await places.closeSite(ash.id, '2026-12-01T00:00:00.000Z');
    expect((await places.site(ash.id))?.closedAt).toBe(LATER);
  });

  it('numbers new beds after the ward’s last, counts open ones, and finds a bed’s ward and occupant', async () => {
    const { places, wards, site } = await records();
    const ward = await places.createWard(site, { name: 'Rose Wing', beds: 3 });
    expect(ward).toMatchObject({ name: 'Rose Wing', kind: 'care_home', siteCode: 'rose', bedCount: 3 });
    const added = await places.createBeds(ward.id, ['Annexe 1', 'Annexe 2']);
    expect(added.map((b) => b.sortOrder)).toEqual([4, 5]);
    const list = await places.bedList(ward.id);
    expect(list.map((b) => [b.label, b.sortOrder])).toEqual([
      ['Room 1', 1],
      ['Room 2', 2],
      ['Room 3', 3],
      ['Annexe 1', 4],
      ['Annexe 2', 5],
    ]);
    await places.closeBed(list[4]!.id, LATER);
    await places.renameBed(list[3]!.id, 'Garden Room');
    await places.renameWard(ward.id, 'Rose');
    expect(await places.ward(ward.id)).toMatchObject({ name: 'Rose', bedCount: 4 });
    expect(await places.bed(list[3]!.id)).toMatchObject({ label: 'Garden Room', patientId: null });
    expect(await places.bedScope(list[4]!.id)).toEqual({
      id: list[4]!.id,
      wardId: ward.id,
      organisationId: 'org-default',
      closedAt: LATER,
      wardClosedAt: null,
    });
    expect(await wards.beds(ward.id)).toHaveLength(4);

    await wards.admit({ id: 'p-1', displayName: 'Ann', bedId: list[0]!.id, at: AT, by: 'nurse' });
    expect(await wards.bedOccupant(list[0]!.id)).toBe('p-1');
    expect(await wards.bedOccupant(list[1]!.id)).toBeNull();
    expect((await places.bed(list[0]!.id))?.patientId).toBe('p-1');
    expect(await places.wardOccupancy(ward.id)).toBe(1);
    expect(await places.siteOccupancy(site.id)).toBe(1);
    expect(await wards.bed(list[0]!.id)).toEqual({ id: list[0]!.id, wardId: ward.id, label: 'Room 1' });
    expect(await wards.bedExists(list[0]!.id)).toBe(true);
    expect(await wards.bedExists('bed-none')).toBe(false);
    expect(await wards.wardExists(ward.id)).toBe(true);
  });

  it('holds an open bed for an admission, so that closing it waits until the admission ends', async () => {
    const { sql, places, wards, site } = await records();
    const ward = await places.createWard(site, { name: 'Rose', beds: 2 });
    const [bed, other] = await places.bedList(ward.id);
    await places.closeBed(other!.id, AT);
    expect(await places.holdOpenBed(other!.id)).toBe(false);

    let closedAt: 'before the admission ended' | 'after' | null = null;
    let admissionEnded = false;
    let held!: () => void;
    const holding = new Promise<void>((resolve) => (held = resolve));
    let proceed!: () => void;
    const proceeding = new Promise<void>((resolve) => (proceed = resolve));
    const admission = sql.transaction(async () => {
      expect(await places.holdOpenBed(bed!.id)).toBe(true);
      held();
      await proceeding;
      await wards.admit({ id: 'p-1', displayName: 'Ann', bedId: bed!.id, at: AT });
      admissionEnded = true;
    });
    await holding;
    // Another request (on PostgreSQL, perhaps on another replica) closes the bed meanwhile.
    const closing = sql.transaction(async () => {
      await places.closeBed(bed!.id, LATER);
      closedAt = admissionEnded ? 'after' : 'before the admission ended';
      if (await wards.bedOccupant(bed!.id)) throw new Error('the bed is occupied');
    });
    // Time for the closing to reach the bed; it must wait there however long this is.
    await sleep(200);
    proceed();
    await admission;
    await expect(closing).rejects.toThrow('the bed is occupied');
    expect(closedAt).toBe('after');
    expect(await places.bed(bed!.id)).toMatchObject({ closedAt: null, patientId: 'p-1' });
  });

  it('lists an organisation’s open wards, only a ward-limited user’s own', async () => {
    const { places, wards, site } = await records();
    expect(await wards.isEmpty()).toBe(true);
    const rose = await places.createWard(site, { name: 'Rose', beds: 2 });
    const ivy = await places.createWard(site, { name: 'Ivy', beds: 1 });
    const closed = await places.createWard(site, { name: 'Closed', beds: 1 });
    await places.closeWard(closed.id, LATER);
    const birch = (await places.createSite('org-b', { name: 'Birch', kind: 'care_home', code: 'birch' }))!;
    await places.createWard(birch, { name: 'Theirs', beds: 1 });
    expect(await wards.isEmpty()).toBe(false);

    const all = await wards.listWards({ organisationId: 'org-default' });
    expect(all.map((w) => [w.name, w.bedCount])).toEqual([
      ['Ivy', 1],
      ['Rose', 2],
    ]);
    expect(
      (await wards.listWards({ organisationId: 'org-default', wardIds: [rose.id, 'ward-elsewhere'] })).map(
        (w) => w.id,
      ),
    ).toEqual([rose.id]);
    expect(await wards.listWards({ organisationId: 'org-default', wardIds: [] })).toEqual([]);
    expect(ivy.bedCount).toBe(1);
  });

  it('admits into a bed once: a second admission to an occupied bed breaks the unique occupant', async () => {
    const { sql, places, wards, patients, site } = await records();
    const ward = await places.createWard(site, { name: 'Rose', beds: 1 });
    const [bed] = await places.bedList(ward.id);
    await wards.admit({ id: 'p-1', displayName: 'Ann', bedId: bed!.id, at: AT, by: 'nurse' });
    const refused = await wards
      .admit({ id: 'p-2', displayName: 'Bob', bedId: bed!.id, at: AT, by: 'nurse' })
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(sql.constraintViolated(refused)).toBe('unique');
    expect(await patients.scope('p-2')).toBeUndefined();

    // One discharge of two at once closes the admission; the other changes nothing.
    expect(await wards.discharge('p-1', LATER, 'charge')).toBe(true);
    expect(await wards.discharge('p-1', '2026-12-01T00:00:00.000Z', 'charge')).toBe(false);
    const record = await patients.record('p-1');
    expect(record).toMatchObject({ bedId: null, wardId: null, dischargedAt: LATER, admittedAt: AT });
    expect(record?.admissions).toEqual([
      expect.objectContaining({
        wardId: ward.id,
        wardName: 'Rose',
        bedId: bed!.id,
        bedLabel: 'Room 1',
        admittedAt: AT,
        admittedBy: 'nurse',
        dischargedAt: LATER,
        dischargedBy: 'charge',
      }),
    ]);
    // Discharged, a patient stays in scope of the ward they were last on.
    expect(await patients.scope('p-1')).toEqual({
      id: 'p-1',
      organisationId: 'org-default',
      wardId: ward.id,
      dischargedAt: LATER,
    });
  });

  it('re-admits a discharged patient with a new admission, newest first', async () => {
    const { places, wards, patients, site } = await records();
    const ward = await places.createWard(site, { name: 'Rose', beds: 2 });
    const [first, second] = await places.bedList(ward.id);
    await wards.admit({ id: 'p-1', displayName: 'Ann', bedId: first!.id, at: AT, by: 'nurse' });
    await wards.discharge('p-1', LATER);
    expect(
      await patients.readmit(
        'p-1',
        { id: second!.id, wardId: ward.id },
        'charge',
        '2026-11-30T08:00:00.000Z',
      ),
    ).toBe(true);
    // In a bed now: a second re-admission (another request at the same time) changes nothing.
    expect(await patients.readmit('p-1', { id: first!.id, wardId: ward.id }, 'nurse', LATER)).toBe(false);
    const record = await patients.record('p-1');
    expect(record).toMatchObject({
      bedId: second!.id,
      bedLabel: 'Room 2',
      wardId: ward.id,
      dischargedAt: null,
    });
    expect(record?.admissions.map((a) => [a.bedLabel, a.admittedBy, a.dischargedAt])).toEqual([
      ['Room 2', 'charge', null],
      ['Room 1', 'nurse', LATER],
    ]);
    expect(await wards.patient('p-1')).toEqual({
      id: 'p-1',
      displayName: 'Ann',
      wardId: ward.id,
      bedId: second!.id,
      bedLabel: 'Room 2',
    });
  });

  it('keeps details, one NHS number per organisation, and says which fields changed', async () => {
    const { sql, places, wards, patients, site } = await records();
    const ward = await places.createWard(site, { name: 'Rose', beds: 2 });
    const [first, second] = await places.bedList(ward.id);
    await wards.admit({ id: 'p-1', displayName: 'Ann', bedId: first!.id, at: AT });
    await wards.admit({ id: 'p-2', displayName: 'Bob', bedId: second!.id, at: AT });
    const kin = { name: 'Cat Example', relationship: 'Daughter', phone: '+44 7700 900123' };
    expect(
      await patients.updateDetails('p-1', {
        nhsNumber: '9434765919',
        preferredName: 'Annie',
        nextOfKin: kin,
      }),
    ).toEqual(['preferredName', 'nhsNumber', 'nextOfKin']);
    expect(await patients.updateDetails('p-1', {})).toEqual([]);
    expect(await patients.record('p-1')).toMatchObject({
      nhsNumber: '9434765919',
      preferredName: 'Annie',
      nextOfKin: kin,
      dateOfBirth: null,
    });
    expect(await patients.nhsNumberTaken('org-default', '9434765919')).toBe(true);
    expect(await patients.nhsNumberTaken('org-default', '9434765919', 'p-1')).toBe(false);
    expect(await patients.nhsNumberTaken('org-b', '9434765919')).toBe(false);
    // What the check lets through when two requests race, the unique index refuses.
    const duplicate = await patients.updateDetails('p-2', { nhsNumber: '9434765919' }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(sql.constraintViolated(duplicate)).toBe('unique');
    expect(await patients.updateDetails('p-1', { nextOfKin: null, preferredName: null })).toEqual([
      'preferredName',
      'nextOfKin',
    ]);
    expect(await patients.record('p-1')).toMatchObject({ nextOfKin: null, preferredName: null });
  });

  it('searches by any case of a name part, literally, by NHS number, in bed first, within wards', async () => {
    const { places, wards, patients, site } = await records();
    const rose = await places.createWard(site, { name: 'Rose', beds: 3 });
    const ivy = await places.createWard(site, { name: 'Ivy', beds: 1 });
    const roseBeds = await places.bedList(rose.id);
    const [ivyBed] = await places.bedList(ivy.id);
    await wards.admit({ id: 'p-1', displayName: 'Zoe Example', bedId: roseBeds[0]!.id, at: AT });
    await wards.admit({ id: 'p-2', displayName: 'Amy 100%_sure', bedId: roseBeds[1]!.id, at: AT });
    await wards.admit({ id: 'p-3', displayName: 'Ann Example', bedId: roseBeds[2]!.id, at: AT });
    await wards.admit({ id: 'p-4', displayName: 'Bea Example', bedId: ivyBed!.id, at: AT });
    await patients.updateDetails('p-4', { preferredName: 'Bobby', nhsNumber: '9434765919' });
    await wards.discharge('p-3', LATER);
    const ids = (found: { id: string }[]) => found.map((p) => p.id);
    const search = (query: Parameters<typeof patients.search>[1], wardIds: string[] | null = null) =>
      patients.search('org-default', query, wardIds);

    // In a bed first, then by name; the discharged last.
    expect(ids(await search({ q: 'EXAMPLE', includeDischarged: true, limit: 10 }))).toEqual([
      'p-4',
      'p-1',
      'p-3',
    ]);
    expect(ids(await search({ q: 'example', limit: 10 }))).toEqual(['p-4', 'p-1']);
    expect(ids(await search({ q: 'bob', limit: 10 }))).toEqual(['p-4']);
    // % and _ are letters here, not patterns.
    expect(ids(await search({ q: '0%_', limit: 10 }))).toEqual(['p-2']);
    expect(ids(await search({ q: '%', limit: 10 }))).toEqual(['p-2']);
    expect(ids(await search({ q: 'p-3', includeDischarged: true, limit: 10 }))).toEqual(['p-3']);
    expect(ids(await search({ nhsNumber: '9434765919', q: 'zoe', limit: 10 }))).toEqual(['p-4']);
    expect(ids(await search({ includeDischarged: true, limit: 2 }))).toEqual(['p-2', 'p-4']);
    // A ward-limited user: patients whose ward is, or last was, one of theirs.
    expect(ids(await search({ includeDischarged: true, limit: 10 }, [rose.id]))).toEqual([
      'p-2',
      'p-1',
      'p-3',
    ]);
    expect(ids(await search({ limit: 10 }, [ivy.id]))).toEqual(['p-4']);
    expect(await patients.search('org-b', { q: 'example', limit: 10 })).toEqual([]);
    expect((await search({ q: 'zoe', limit: 1 }))[0]).toEqual({
      id: 'p-1',
      displayName: 'Zoe Example',
      wardId: rose.id,
      bedId: roseBeds[0]!.id,
      bedLabel: 'Room 1',
      preferredName: null,
      nhsNumber: null,
      dateOfBirth: null,
      admittedAt: AT,
      dischargedAt: null,
    });
  });

  it('creates a ward by site code, with the site when new (the demo seed’s way)', async () => {
    const { wards, places } = await records();
    await wards.createWard({ id: 'ward-x', name: 'X', kind: 'virtual_ward', siteCode: 'hub' });
    await wards.createWard({ id: 'ward-y', name: 'Y', kind: 'virtual_ward', siteCode: 'hub' });
    await wards.createBed({ id: 'bed-x1', wardId: 'ward-x', label: 'Home 1', sortOrder: 1 });
    expect(await places.siteByCode('hub')).toMatchObject({ id: 'site-hub', organisationId: 'org-default' });
    expect(await places.wardScope('ward-y')).toMatchObject({
      siteId: 'site-hub',
      organisationId: 'org-default',
    });
    await wards.admit({ id: 'p-x', displayName: 'Xena', bedId: 'bed-x1', at: AT });
    await wards.admit({ id: 'p-none', displayName: 'Nobody', bedId: null, at: AT });
    expect((await wards.listPatients()).map((p) => [p.id, p.wardId])).toEqual([
      ['p-none', null],
      ['p-x', 'ward-x'],
    ]);
    expect(await places.deviceIdsOf('org-default')).toEqual(new Set());
  });
});
