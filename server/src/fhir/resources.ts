import {
  NHS_NUMBER_SYSTEM,
  ucumCode,
  type Observation,
  type PatientSummary,
  type Unit,
} from '@wardline/protocol';

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const PROFILE = 'http://hl7.org/fhir/StructureDefinition';
export const DEVICE_ID_SYSTEM = 'urn:wardline:device-id';

interface Coding {
  system: string;
  code: string;
  display: string;
}

interface Quantity {
  value: number;
  unit: string;
  system: string;
  code: string;
}

export type FhirResource = Record<string, unknown> & { resourceType: string; id?: string };

const loinc = (code: string, display: string): Coding => ({ system: LOINC, code, display });

/** Each exported kind: its Observation.code, profile and category; components by value key. */
const KINDS: Record<
  string,
  { codes: Coding[]; profile?: string; category: 'vital-signs' | 'activity'; value?: string }
> = {
  blood_pressure: {
    codes: [loinc('85354-9', 'Blood pressure panel with all children optional')],
    profile: 'bp',
    category: 'vital-signs',
  },
  heart_rate: {
    codes: [loinc('8867-4', 'Heart rate')],
    profile: 'heartrate',
    category: 'vital-signs',
    value: 'heartRate',
  },
  spo2: {
    codes: [
      loinc('2708-6', 'Oxygen saturation in Arterial blood'),
      loinc('59408-5', 'Oxygen saturation in Arterial blood by Pulse oximetry'),
    ],
    profile: 'oxygensat',
    category: 'vital-signs',
    value: 'spo2',
  },
  body_temperature: {
    codes: [loinc('8310-5', 'Body temperature')],
    profile: 'bodytemp',
    category: 'vital-signs',
    value: 'temperature',
  },
  respiration_rate: {
    codes: [loinc('9279-1', 'Respiratory rate')],
    profile: 'resprate',
    category: 'vital-signs',
    value: 'respirationRate',
  },
  // SNOMED CT 1912002 |Fall (event)|, from the Event hierarchy: the occurrence of a fall at a
  // time, which is exactly what a falls sensor reports. It claims nothing about cause, intent or
  // injury, which a sensor cannot know, and is not a fall-risk assessment. Falls are not vital
  // signs, so the category is "activity".
  fall: { codes: [{ system: SNOMED, code: '1912002', display: 'Fall (event)' }], category: 'activity' },
};

const COMPONENT_CODES: Record<string, Coding> = {
  systolic: loinc('8480-6', 'Systolic blood pressure'),
  diastolic: loinc('8462-4', 'Diastolic blood pressure'),
  meanArterial: loinc('8478-0', 'Mean blood pressure'),
  pulseRate: loinc('8867-4', 'Heart rate'),
};

/** The Observation.code values a search may name, and the kind each selects. */
export const KIND_BY_CODE = new Map<string, string>(
  Object.entries(KINDS).flatMap(([kind, spec]) => spec.codes.map((c) => [`${c.system}|${c.code}`, kind])),
);
export const FHIR_KINDS = Object.keys(KINDS);

function quantity(component: unknown): Quantity | null {
  const q = component as { value?: unknown; unit?: unknown } | undefined;
  if (typeof q?.value !== 'number' || typeof q.unit !== 'string') return null;
  return { value: q.value, unit: q.unit, system: UCUM, code: ucumCode[q.unit as Unit] ?? q.unit };
}

/** A patient with what identifies them to other NHS systems, where known. */
export type PatientForFhir = PatientSummary & { nhsNumber?: string | null; dateOfBirth?: string | null };

export function patientResource(patient: PatientForFhir): FhirResource {
  return {
    resourceType: 'Patient',
    id: patient.id,
    ...(patient.nhsNumber ? { identifier: [{ system: NHS_NUMBER_SYSTEM, value: patient.nhsNumber }] } : {}),
    name: [{ text: patient.displayName }],
    ...(patient.dateOfBirth ? { birthDate: patient.dateOfBirth } : {}),
  };
}

export interface StoredForFhir {
  observation: Observation;
  patientId: string;
  receivedAt: string;
}

/** An R4 Observation for a stored reading, or null for kinds that have no FHIR mapping. */
export function observationResource({
  observation: o,
  patientId,
  receivedAt,
}: StoredForFhir): FhirResource | null {
  const spec = KINDS[o.kind];
  if (!spec) return null;
  const values = o.values as Record<string, unknown>;
  const resource: FhirResource = {
    resourceType: 'Observation',
    id: o.id,
    ...(spec.profile ? { meta: { profile: [`${PROFILE}/${spec.profile}`] } } : {}),
    status: 'final',
    category: [
      {
        coding: [
          {
            system: CATEGORY,
            code: spec.category,
            display: spec.category === 'vital-signs' ? 'Vital Signs' : 'Activity',
          },
        ],
      },
    ],
    code: { coding: spec.codes, text: spec.codes[0]?.display },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: o.measuredAt,
    issued: receivedAt,
    device: { identifier: { system: DEVICE_ID_SYSTEM, value: o.deviceId } },
  };
  if (o.kind === 'blood_pressure') {
    resource.component = Object.entries(COMPONENT_CODES).flatMap(([key, coding]) => {
      const q = quantity(values[key]);
      return q ? [{ code: { coding: [coding], text: coding.display }, valueQuantity: q }] : [];
    });
  } else if (o.kind === 'fall') {
    resource.valueBoolean = true;
    const confidence = quantity(values.confidence);
    if (confidence)
      resource.component = [{ code: { text: 'Fall detection confidence' }, valueQuantity: confidence }];
  } else if (spec.value) {
    const q = quantity(values[spec.value]);
    if (q) resource.valueQuantity = q;
    const site = values.site;
    if (typeof site === 'string') resource.bodySite = { text: site };
  }
  return resource;
}

export function searchsetBundle(selfUrl: string, resources: FhirResource[], baseUrl: string): FhirResource {
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: resources.length,
    link: [{ relation: 'self', url: selfUrl }],
    entry: resources.map((resource) => ({
      fullUrl: `${baseUrl}/fhir/${resource.resourceType}/${resource.id}`,
      resource,
      search: { mode: 'match' },
    })),
  };
}
