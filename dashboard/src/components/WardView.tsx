import type { Alert, AlertEvent, BedState, News2Summary, Ward } from '@wardline/protocol';
import { useEffect, useMemo, useState } from 'react';
import { useAlertFeed } from '../hooks/useAlertFeed.js';
import { useAlertTone } from '../hooks/useAlertTone.js';
import { useLiveWard } from '../hooks/useLiveWard.js';
import { useNow } from '../hooks/useNow.js';
import { useSettled } from '../hooks/useSettled.js';
import type { SocketState } from '../hooks/useSocket.js';
import { useWardNews2 } from '../hooks/useWardNews2.js';
import {
  alertsByPatient,
  compareAlerts,
  compareRisk,
  isActive,
  needsAttention,
  PRIORITY_LABEL,
  shouldSound,
} from '../lib/alerts.js';
import { activeAlerts, type ActiveAlert } from '../lib/vitals.js';
import { AlertAnnouncer, AlertBanner } from './alerts/AlertBanner.js';
import { ConnectionState, StaleDataNotice } from './ConnectionState.js';
import { FallSummary, type BedAlerts } from './FallSummary.js';
import { WardGrid, type WardGridItem } from './WardGrid.js';
import { WardSelect } from './WardPicker.js';
import { WardSkeleton } from './WardSkeleton.js';

/** How often "4 min ago", staleness and the 30-minute fall window are re-evaluated. */
const CLOCK_TICK_MS = 15_000;
const NO_ALERTS: readonly Alert[] = [];
/** One shared empty list, so a card without alerts keeps equal props and is not re-rendered. */
const NO_DEVICE_ALERTS: ActiveAlert[] = [];
const NO_FALLS: BedAlerts[] = [];

interface Props {
  ward: Ward;
  wards: Ward[];
  onSelectWard: (wardId: string) => void;
  socket: SocketState;
}

/**
 * A fall or help call seen on the device feed stays on the card for 30 minutes, unless the alert
 * engine's alert for it (or the falls incident it joined) has been resolved by a nurse since.
 */
function notResolved(device: ActiveAlert[], patientId: string | undefined, resolved: readonly Alert[]) {
  if (device.length === 0) return NO_DEVICE_ALERTS;
  if (!patientId || resolved.length === 0) return device;
  return device.filter((d) => !resolved.some((r) => r.patientId === patientId && covers(r, d)));
}

/** The resolved alert dealt with this device event: its own, or the falls incident it joined. */
function covers(r: Alert, d: ActiveAlert): boolean {
  if (r.condition === d.kind && Date.parse(r.triggerMeasuredAt ?? r.openedAt) >= d.measuredAt - 1000)
    return true;
  const events = (r.detail as { events?: { kind: string; measuredAt: string }[] } | null)?.events;
  return (
    Array.isArray(events) &&
    events.some((e) => e.kind === d.kind && Math.abs(Date.parse(e.measuredAt) - d.measuredAt) < 1000)
  );
}

/** A score from no readings at all is no score (it must not sort or read as "low risk"). */
function scored(n: News2Summary | undefined): News2Summary | null {
  return n && n.parameters.length > 0 ? n : null;
}

const FALLS_INCIDENT = new Set(['fall', 'help_request', 'no_movement']);

/** The live ward screen. Mounted with `key={ward.id}`: switching ward starts a fresh view. */
export function WardView({ ward, wards, onSelectWard, socket }: Props) {
  const now = useNow(CLOCK_TICK_MS);
  const { beds, liveState, lastSyncedAt, errorMessage } = useLiveWard(socket, ward.id);
  const tone = useAlertTone();
  const [announcement, setAnnouncement] = useState('');

  const bedsByPatient = useMemo(() => {
    const map = new Map<string, BedState>();
    for (const b of beds ?? []) if (b.patient) map.set(b.patient.id, b);
    return map;
  }, [beds]);

  // A plain function: useAlertFeed reads the latest one on each event.
  const onEvent = (event: AlertEvent) => {
    const a = event.alert;
    // A falls incident is told once: another event joining it (recurred) is announced, not sounded;
    // a new call after it was acknowledged re-opens it (updated) and sounds again.
    const reopenedIncident =
      event.type === 'updated' && a.state === 'open' && FALLS_INCIDENT.has(a.condition);
    const sound = event.type === 'opened' || event.type === 'escalated' || reopenedIncident;
    if ((!sound && event.type !== 'recurred') || a.state === 'resolved') return;
    const b = a.patientId ? bedsByPatient.get(a.patientId) : undefined;
    const where = b ? `, ${b.label}${b.patient ? `, ${b.patient.displayName}` : ''}` : '';
    const what = event.type === 'escalated' ? 'Escalated' : event.type === 'opened' ? 'New' : 'Updated';
    setAnnouncement(`${what} ${PRIORITY_LABEL[a.priority].toLowerCase()} alert: ${a.title}${where}.`);
    if (sound && shouldSound(a)) tone.play(a.priority === 'critical' ? 'critical' : 'high');
  };

  const feed = useAlertFeed(socket, {
    queries: [
      { state: 'unresolved', wardId: ward.id, limit: 1000 },
      { state: 'resolved', wardId: ward.id, limit: 100 },
    ],
    joinWards: [ward.id],
    leaveOnUnmount: false, // useLiveWard owns the room
    accept: (a) => a.wardId === ward.id,
    onEvent,
  });

  const patientIds = useMemo(() => (beds ? [...bedsByPatient.keys()].sort() : null), [beds, bedsByPatient]);
  const { scores: news2, settled: news2Settled } = useWardNews2(socket, ward.id, patientIds);
  // The beds, their alerts and their scores are laid out together, once all are in: beds do not
  // jump into "Needs attention" one answer at a time under a nurse's finger.
  const ready = useSettled(
    beds !== null && (feed.alerts !== null || feed.state === 'failed') && news2Settled,
  );

  const { active, resolved, byPatient } = useMemo(() => {
    const all = feed.alerts ? [...feed.alerts.values()] : [];
    return {
      active: all.filter(isActive).sort(compareAlerts),
      resolved: all.filter((a) => !isActive(a)),
      byPatient: alertsByPatient(all),
    };
  }, [feed.alerts]);

  const items = useMemo<WardGridItem[]>(() => {
    const list = (beds ?? []).map((bed) => {
      const pid = bed.patient?.id;
      return {
        bed,
        alerts: notResolved(activeAlerts(bed, now), pid, resolved),
        serverAlerts: (pid && byPatient.get(pid)) || NO_ALERTS,
        news2: (pid && news2.get(pid)) || null,
        attention: false,
      };
    });
    const riskOf = (i: WardGridItem) => ({
      label: i.bed.label,
      alerts:
        i.alerts.length > 0 && !i.serverAlerts.some((a) => a.priority === 'critical')
          ? [{ priority: 'critical' } as Alert, ...i.serverAlerts]
          : i.serverAlerts,
      news2: scored(i.news2 ?? undefined),
    });
    for (const i of list) i.attention = needsAttention(riskOf(i));
    return list.sort((a, b) => compareRisk(riskOf(a), riskOf(b)));
  }, [beds, now, resolved, byPatient, news2]);

  const alerting = useMemo<BedAlerts[]>(
    () =>
      items
        .filter((i) => i.alerts.length > 0)
        .sort((a, b) => (b.alerts[0]?.measuredAt ?? 0) - (a.alerts[0]?.measuredAt ?? 0)),
    [items],
  );
  const occupied = items.filter((i) => i.bed.patient !== null).length;
  const openCount = active.filter((a) => a.state === 'open').length;

  useEffect(() => {
    const n = Math.max(alerting.length, openCount);
    document.title = `${n > 0 ? `(${n}) ` : ''}${ward.name} — Wardline`;
  }, [alerting.length, openCount, ward.name]);
  useEffect(
    () => () => {
      document.title = 'Wardline';
    },
    [],
  );

  return (
    <main id="main" className="page page--ward" tabIndex={-1}>
      <div className="ward-toolbar">
        <div className="ward-toolbar__title">
          <h1 className="ward-toolbar__name" data-testid="ward-name">
            {ward.name}
          </h1>
          <p className="ward-toolbar__meta">
            {beds ? (
              <>
                {occupied} {occupied === 1 ? 'resident' : 'residents'} · {beds.length}{' '}
                {beds.length === 1 ? 'bed' : 'beds'}
              </>
            ) : (
              '\u00a0' // the line's height is kept, so nothing below moves when it is filled in
            )}
          </p>
        </div>
        {wards.length > 1 && <WardSelect wards={wards} value={ward.id} onChange={onSelectWard} />}
        <ConnectionState state={liveState} />
      </div>

      <StaleDataNotice state={liveState} lastSyncedAt={lastSyncedAt} errorMessage={errorMessage} />
      <AlertAnnouncer announcement={announcement} tonesPlayed={tone.played} />
      {/* Always on the page (empty while loading): a live region must exist before it is filled. */}
      <FallSummary items={ready ? alerting : NO_FALLS} />
      {!ready ? (
        <WardSkeleton beds={ward.bedCount} errorMessage={beds === null ? errorMessage : null} />
      ) : (
        <>
          {feed.state === 'failed' && (
            <p className="notice" role="status" data-testid="alerts-error">
              Alerts could not be loaded: {feed.errorMessage} Retrying…
            </p>
          )}
          <AlertBanner
            alerts={active}
            bedsByPatient={bedsByPatient}
            now={now}
            onChanged={feed.apply}
            muted={tone.muted}
            onMutedChange={tone.setMuted}
          />
          {!beds?.length ? <p>This ward has no beds yet.</p> : <WardGrid items={items} now={now} />}
        </>
      )}
    </main>
  );
}
