import type { Alert, BedState, DeviceState, News2Summary } from '@wardline/protocol';
import { memo, useId, type ReactNode } from 'react';
import {
  bloodPressure,
  LOW_BATTERY_PERCENT,
  pulse,
  spo2,
  temperature,
  type ActiveAlert,
  type VitalReading,
} from '../lib/vitals.js';
import { parseTime } from '../lib/time.js';
import { TimeAgo } from './TimeAgo.js';
import { news2Band, NEWS2_BAND_LABEL, partialText, PRIORITY_LABEL } from '../lib/alerts.js';
import { Link } from '../routing/Link.js';
import { latestQualityNotes, type QualityNote } from '../lib/quality.js';
import { fallsRiskBadge } from '../lib/fallsRisk.js';

/** The DOM id of a bed's card, for in-page links (fall summary) and focus. */
export function bedElementId(bedId: string): string {
  return `bed-${bedId}`;
}

interface Props {
  bed: BedState;
  now: number;
  alerts: ActiveAlert[];
  /** The resident's active clinical alerts from the alert engine, most urgent first. */
  serverAlerts?: readonly Alert[];
  /** The resident's current NEWS2, or null while unknown. */
  news2?: News2Summary | null;
}

export const BedCard = memo(function BedCard({ bed, now, alerts, serverAlerts = [], news2 = null }: Props) {
  const id = useId();
  const labelId = `${id}-label`;
  const nameId = `${id}-name`;
  const occupied = bed.patient !== null;
  const alerting = alerts.length > 0;
  const topPriority = serverAlerts[0]?.priority;
  const classes = [
    'bed-card',
    occupied ? '' : 'bed-card--empty',
    alerting || topPriority === 'critical' ? 'bed-card--alert' : '',
    topPriority && topPriority !== 'critical' ? `bed-card--${topPriority}` : '',
  ]
    .filter(Boolean)
    .join(' ');

  return (
    <article
      id={bedElementId(bed.bedId)}
      className={classes}
      aria-labelledby={`${labelId} ${nameId}`}
      tabIndex={-1}
      data-testid="bed-card"
      data-bed-id={bed.bedId}
      data-alert={alerting ? alerts[0]?.kind : undefined}
      data-priority={topPriority}
      data-news2-band={news2 ? news2Band(news2) : undefined}
    >
      <header className="bed-card__header">
        <h3 className="bed-card__label" id={labelId}>
          {bed.label}
        </h3>
        <p
          className="bed-card__resident"
          id={nameId}
          title={bed.patient?.displayName}
          data-testid="resident-name"
        >
          {bed.patient ? (
            <Link to={{ name: 'patient', patientId: bed.patient.id }} data-testid="patient-link">
              {bed.patient.displayName}
            </Link>
          ) : (
            'Empty bed'
          )}
        </p>
      </header>

      {alerting && <AlertBanner alerts={alerts} now={now} />}
      {occupied && news2 && <News2Badge news2={news2} />}
      {occupied && <FallsRiskBadge bed={bed} />}
      {serverAlerts.length > 0 && (
        <ul className="bed-alerts" aria-label="Active alerts" data-testid="bed-alerts">
          {serverAlerts.map((a) => (
            <li
              key={a.id}
              className={`bed-alerts__item bed-alerts__item--${a.priority}`}
              data-state={a.state}
            >
              <span className={`priority-tag priority-tag--${a.priority}`}>{PRIORITY_LABEL[a.priority]}</span>{' '}
              {a.title}
              {a.state === 'acknowledged' && (
                <span className="bed-alerts__ack"> · ack {a.acknowledgedBy ?? ''}</span>
              )}
            </li>
          ))}
        </ul>
      )}

      {occupied && (
        <dl className="vitals">
          <Vital
            name={<abbr title="Blood pressure">BP</abbr>}
            reading={bloodPressure(bed, now)}
            now={now}
            testId="bp-value"
            notes={latestQualityNotes(bed, 'blood_pressure')}
          />
          <PulseVital bed={bed} now={now} />
          <Vital
            name={
              <abbr title="Oxygen saturation">
                SpO<sub>2</sub>
              </abbr>
            }
            reading={spo2(bed, now)}
            now={now}
            testId="spo2-value"
            notes={latestQualityNotes(bed, 'spo2')}
          />
          <Vital
            name={<abbr title="Temperature">Temp</abbr>}
            reading={temperature(bed, now)}
            now={now}
            testId="temperature-value"
          />
        </dl>
      )}

      <Equipment bed={bed} now={now} />
    </article>
  );
});

const BANNER_TEXT: Record<ActiveAlert['kind'], string> = {
  fall: 'Fall detected',
  help_request: 'Help requested',
  no_movement: 'No movement (falls sensor)',
};

function AlertBanner({ alerts, now }: { alerts: ActiveAlert[]; now: number }) {
  return (
    <div className="fall-banner" data-testid="fall-banner" data-alert-kind={alerts[0]?.kind}>
      {alerts.map((a) => (
        <p key={a.kind} className="fall-banner__line">
          <strong>{BANNER_TEXT[a.kind]}</strong> <TimeAgo at={a.measuredAt} now={now} />
          {a.uprightAt !== undefined && (
            <span className="fall-banner__upright" data-testid="fall-upright">
              {' '}
              — upright again <TimeAgo at={a.uprightAt} now={now} />
            </span>
          )}
          {a.late && (
            <span className="fall-banner__late">
              {' '}
              (received <TimeAgo at={a.receivedAt} now={now} />)
            </span>
          )}
        </p>
      ))}
    </div>
  );
}

function News2Badge({ news2 }: { news2: News2Summary }) {
  if (news2.parameters.length === 0)
    return (
      <p className="news2 news2--none" data-testid="news2">
        <abbr title="National Early Warning Score 2">NEWS2</abbr> not scored: no readings
      </p>
    );
  const band = news2Band(news2);
  const partial = partialText(news2);
  return (
    <p className={`news2 news2--${band}`} data-testid="news2">
      <abbr title="National Early Warning Score 2">NEWS2</abbr>{' '}
      <strong className="news2__score" data-testid="news2-score">
        {news2.score}
      </strong>{' '}
      <span className="news2__band">{NEWS2_BAND_LABEL[band]}</span>
      {partial && (
        <span className="news2__partial" data-testid="news2-partial">
          {' '}
          ({partial})
        </span>
      )}
    </p>
  );
}

function FallsRiskBadge({ bed }: { bed: BedState }) {
  const badge = fallsRiskBadge(bed.fallsRisk);
  if (!badge) return null;
  return (
    <p className="falls-risk" data-testid="falls-risk" title={badge.detail}>
      <strong>{badge.label}</strong>
      <span className="visually-hidden"> ({badge.detail})</span>
    </p>
  );
}

/**
 * The pulse is marked when the reading it came from is flagged; the words are shown once, on the
 * row of that reading (BP or SpO2), or here when it came from a heart-rate reading.
 */
function PulseVital({ bed, now }: { bed: BedState; now: number }) {
  const reading = pulse(bed, now);
  const sourceNotes = reading ? latestQualityNotes(bed, reading.source) : [];
  return (
    <Vital
      name="Pulse"
      reading={reading}
      now={now}
      testId="pulse-value"
      notes={reading?.source === 'heart_rate' ? sourceNotes : []}
      flagged={sourceNotes.length > 0}
    />
  );
}

interface VitalProps {
  name: ReactNode;
  reading: VitalReading | null;
  now: number;
  testId: string;
  /** What the device flagged about this reading, in words. */
  notes?: readonly QualityNote[];
  /** Marked as flagged even without notes of its own (they are on another row). */
  flagged?: boolean;
}

function Vital({ name, reading, now, testId, notes = [], flagged = false }: VitalProps) {
  const marked = reading !== null && (flagged || notes.length > 0);
  const unreliable = notes.some((n) => n.unreliable);
  return (
    <div
      className={['vital', reading?.stale ? 'vital--stale' : '', marked ? 'vital--flagged' : '']
        .filter(Boolean)
        .join(' ')}
    >
      <dt className="vital__name">{name}</dt>
      {reading ? (
        <>
          <dd className="vital__value">
            <span
              data-testid={testId}
              data-stale={reading.stale || undefined}
              data-flagged={marked || undefined}
              data-unreliable={unreliable || undefined}
            >
              {reading.text}
            </span>
            {marked && notes.length === 0 && <span className="vital__flag-mark"> (flagged)</span>}
          </dd>
          <dd className="vital__time">
            {reading.stale && <span className="stale-tag">Stale</span>}
            <TimeAgo at={reading.measuredAt} now={now} />
          </dd>
          {notes.map((n) => (
            <dd
              key={n.flag}
              className={n.unreliable ? 'vital__quality vital__quality--unreliable' : 'vital__quality'}
              data-testid="reading-quality"
              data-flag={n.flag}
            >
              {n.text}
            </dd>
          ))}
        </>
      ) : (
        <dd className="vital__value vital__value--none">
          <span aria-hidden="true">—</span>
          <span className="visually-hidden">No reading</span>
        </dd>
      )}
    </div>
  );
}

function Equipment({ bed, now }: { bed: BedState; now: number }) {
  const gatewayState = bed.gateway?.status?.state;
  const gatewayAt = parseTime(bed.gateway?.status?.at);
  if (bed.devices.length === 0 && gatewayState !== 'offline') return null;
  return (
    <ul className="equipment" aria-label="Equipment">
      {gatewayState === 'offline' && (
        <li className="gateway-offline" data-testid="gateway-offline">
          <strong>Gateway offline</strong>
          {gatewayAt !== null && (
            <>
              {' · '}
              <TimeAgo at={gatewayAt} now={now} />
            </>
          )}
        </li>
      )}
      {bed.devices.map((d) => (
        <Device key={d.deviceId} device={d} now={now} />
      ))}
    </ul>
  );
}

function Device({ device, now }: { device: DeviceState; now: number }) {
  const { status } = device;
  const lastSeen = parseTime(status?.lastSeen);
  const battery = status?.battery;
  const low = battery !== undefined && battery.value < LOW_BATTERY_PERCENT;
  const state = status === null ? 'unknown' : status.connected ? 'connected' : 'disconnected';
  return (
    <li
      className={`device device--${state}`}
      title={`${device.model} (${device.deviceId})`}
      data-testid="device-status"
      data-device-id={device.deviceId}
      data-state={state}
    >
      <span className="device__dot" aria-hidden="true" />
      <span className="device__model">{device.model}</span>{' '}
      <span className="device__state">
        {state === 'connected' && 'Connected'}
        {state === 'unknown' && 'No status yet'}
        {state === 'disconnected' && (
          <>
            Disconnected
            {lastSeen !== null && (
              <>
                , seen <TimeAgo at={lastSeen} now={now} />
              </>
            )}
          </>
        )}
      </span>
      {battery && (
        <>
          {' '}
          <span className={low ? 'device__battery device__battery--low' : 'device__battery'}>
            · Battery {Math.round(battery.value)}
            {battery.unit}
            {low && ' (low)'}
          </span>
        </>
      )}
    </li>
  );
}
