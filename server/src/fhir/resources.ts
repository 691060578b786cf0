import {
  NHS_NUMBER_SYSTEM,
  QUALITY_FLAGS,
  isUnreliable,
  ucumCode,
  type Observation,
  type PatientSummary,
  type QualityFlag,
  type Unit,
} from '@wardline/protocol';

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const PROFILE = 'http://hl7.org/fhir/StructureDefinition';
export const DEVICE_ID_SYSTEM = 'urn:wardline:device-id';
const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
// Wardline's own definitions: a placeholder domain until the project has one (a canonical URL
// must not change once published).
const WARDLINE_FHIR = 'https://wardline.example.org/fhir';
/** One per device quality flag on an Observation, valueCoding from QUALITY_SYSTEM. */
export const QUALITY_EXTENSION = `${WARDLINE_FHIR}/StructureDefinition/reading-quality`;
export const QUALITY_SYSTEM = `${WARDLINE_FHIR}/CodeSystem/reading-quality`;

/** What each flag means, as the device reported it (BLS Measurement Status, PLX status). */
const QUALITY_DISPLAY: Record<QualityFlag, string> = {
  body_movement: 'Body movement during the measurement',
  cuff_too_loose: 'Cuff too loose',
  irregular_pulse: 'Irregular pulse detected',
  pulse_rate_high: 'Pulse rate above the device range',
  pulse_rate_low: 'Pulse rate below the device range',
  improper_position: 'Improper measurement position',
  measurement_questionable: 'Measurement questionable',
  low_perfusion: 'Low perfusion',
  erratic_signal: 'Erratic signal',
  signal_weak: 'Weak signal',
  sensor_displaced: 'Sensor displaced',
};

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
  Object.assign(resource, qualityElements(o));
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

/**
 * The device's quality flags: machine-readable in a Wardline extension (one per flag), in words in
 * a note, and, when they make the values unreliable, as the standard interpretation QCF (quality
 * control failure: a technical exception, "does not imply normality or severity"), which EPRs show
 * beside the value. The status stays final and the values stay: the reading was taken and is part
 * of the record (dataAbsentReason is for absent values only); Wardline itself keeps it out of
 * alerting and NEWS2.
 */
function qualityElements(o: Observation): Record<string, unknown> {
  const flags = QUALITY_FLAGS.filter((flag) => o.quality?.includes(flag));
  if (flags.length === 0) return {};
  const unreliable = isUnreliable(o);
  const words = flags.map((flag) => QUALITY_DISPLAY[flag].toLowerCase()).join('; ');
  return {
    extension: flags.map((code) => ({
      url: QUALITY_EXTENSION,
      valueCoding: { system: QUALITY_SYSTEM, code, display: QUALITY_DISPLAY[code] },
    })),
    ...(unreliable
      ? {
          interpretation: [
            {
              coding: [{ system: INTERPRETATION, code: 'QCF', display: 'Quality control failure' }],
              text: 'Unreliable: flagged by the device',
            },
          ],
        }
      : {}),
    note: [
      {
        text: unreliable
          ? `Device flagged: ${words}. The values are unreliable: Wardline leaves this reading out of alerting and NEWS2 and asks for a repeat.`
          : `Device flagged: ${words}.`,
      },
    ],
  };
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
