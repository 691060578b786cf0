import type { BedState } from '@wardline/protocol';
import { formatAbsolute, parseTime } from '../../lib/time.js';
import {
  bloodPressure,
  LOW_BATTERY_PERCENT,
  pulse,
  respirationRate,
  spo2,
  temperature,
  type VitalReading,
} from '../../lib/vitals.js';
import { TimeAgo } from '../TimeAgo.js';
import { latestQualityNotes, type QualityNote } from '../../lib/quality.js';

interface Props {
  bed: BedState;
  now: number;
}

const PULSE_SOURCE = { blood_pressure: 'BP cuff', heart_rate: 'heart-rate sensor', spo2: 'pulse oximeter' };

/** The newest value of each vital sign, with its unit, its age and a stale flag; then the equipment. */
export function LatestVitals({ bed, now }: Props) {
  const pulseReading = pulse(bed, now);
  // The pulse carries the flags of the reading it came from; the words show once, on that row.
  const pulseNotes = pulseReading ? latestQualityNotes(bed, pulseReading.source) : [];
  const rows: {
    name: string;
    key: string;
    reading: VitalReading | null;
    note?: string;
    quality?: QualityNote[];
    flagged?: boolean;
  }[] = [
    {
      name: 'Blood pressure',
      key: 'bp',
      reading: bloodPressure(bed, now),
      quality: latestQualityNotes(bed, 'blood_pressure'),
    },
    {
      name: 'Pulse',
      key: 'pulse',
      reading: pulseReading,
      ...(pulseReading && { note: `from ${PULSE_SOURCE[pulseReading.source]}` }),
      quality: pulseReading?.source === 'heart_rate' ? pulseNotes : [],
      flagged: pulseNotes.length > 0,
    },
    {
      name: 'Oxygen saturation (SpO₂)',
      key: 'spo2',
      reading: spo2(bed, now),
      quality: latestQualityNotes(bed, 'spo2'),
    },
    { name: 'Temperature', key: 'temperature', reading: temperature(bed, now) },
    { name: 'Respiration rate', key: 'respiration', reading: respirationRate(bed, now) },
  ];
  return (
    <>
      <section className="panel" aria-labelledby="latest-title" data-testid="patient-vitals">
        <h2 id="latest-title" className="panel__title">
          Latest readings
        </h2>
        <dl className="latest-vitals">
          {rows.map(({ name, key, reading, note, quality = [], flagged = false }) => (
            <div
              key={key}
              className={[
                'latest-vital',
                reading?.stale ? 'latest-vital--stale' : '',
                reading && (flagged || quality.length > 0) ? 'latest-vital--flagged' : '',
              ]
                .filter(Boolean)
                .join(' ')}
            >
              <dt>{name}</dt>
              <dd
                className="latest-vital__value"
                data-testid={`latest-${key}`}
                data-stale={reading?.stale || undefined}
                data-flagged={(reading && (flagged || quality.length > 0)) || undefined}
              >
                {reading ? reading.text : 'No reading'}
              </dd>
              <dd className="latest-vital__time">
                {reading && (
                  <>
                    {reading.stale && <span className="stale-tag">Stale</span>}
                    <TimeAgo at={reading.measuredAt} now={now} /> · {formatAbsolute(reading.measuredAt)}
                    {note && ` · ${note}`}
                    {flagged &&
                      quality.length === 0 &&
                      pulseReading &&
                      ` · the ${PULSE_SOURCE[pulseReading.source]} flagged this reading`}
                  </>
                )}
              </dd>
              {reading &&
                quality.map((n) => (
                  <dd
                    key={n.flag}
                    className={
                      n.unreliable
                        ? 'latest-vital__quality latest-vital__quality--unreliable'
                        : 'latest-vital__quality'
                    }
                    data-testid="reading-quality"
                    data-flag={n.flag}
                  >
                    {n.text}
                  </dd>
                ))}
            </div>
          ))}
        </dl>
      </section>
      <section className="panel" aria-labelledby="equipment-title" data-testid="patient-equipment">
        <h2 id="equipment-title" className="panel__title">
          Equipment
        </h2>
        {bed.gateway?.status?.state === 'offline' && (
          <p className="gateway-offline" data-testid="gateway-offline">
            <strong>Gateway offline</strong>: readings are held on the gateway until it reconnects.
          </p>
        )}
        {bed.devices.length === 0 ? (
          <p>No devices are assigned.</p>
        ) : (
          <ul className="device-list">
            {bed.devices.map((d) => {
              const lastSeen = parseTime(d.status?.lastSeen);
              const battery = d.status?.battery;
              return (
                <li key={d.deviceId} data-testid="patient-device" data-device-id={d.deviceId}>
                  <strong>{d.model}</strong> <span className="mono">{d.deviceId}</span>
                  <br />
                  {d.status === null ? 'No status yet' : d.status.connected ? 'Connected' : 'Disconnected'}
                  {lastSeen !== null && (
                    <>
                      {' · last seen '}
                      <TimeAgo at={lastSeen} now={now} />
                    </>
                  )}
                  {battery && (
                    <>
                      {' · battery '}
                      {Math.round(battery.value)}%
                      {battery.value < LOW_BATTERY_PERCENT && <strong> (low)</strong>}
                    </>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </>
  );
}
