import type { Alert, FamilyContact } from '@wardline/protocol';

const PRIORITY_LABEL = { critical: 'CRITICAL', high: 'HIGH', medium: 'MEDIUM', low: 'LOW' } as const;

export const FAMILY_WORDING: Record<string, { title: string; message: string }> = {
  fall: { title: 'Fall detected', message: 'A fall was detected; staff are responding.' },
  help_request: { title: 'Help requested', message: 'The help button was pressed; staff are responding.' },
  no_movement: {
    title: 'Falls sensor alert',
    message: 'The falls sensor reported no movement; staff are responding.',
  },
};
const FAMILY_CLINICAL = {
  title: 'Change in health readings',
  message: 'The care team has been alerted to a change in health readings and is responding.',
};

/** The wording a family member may see: no clinical detail unless their consent allows it. */
export function familyWording(
  alert: Pick<Alert, 'condition' | 'title' | 'message'>,
  clinicalDetail: boolean,
) {
  const limited = FAMILY_WORDING[alert.condition] ?? FAMILY_CLINICAL;
  return clinicalDetail ? { title: alert.title, message: `${limited.message} ${alert.message}` } : limited;
}

export function staffMessage(
  alert: Alert,
  event: string,
  levelName: string,
  patientName: string | null,
  at: Date,
): { subject: string; text: string; json: Record<string, unknown> } {
  const who = patientName ?? alert.gatewayId ?? alert.deviceId ?? 'unknown';
  const what = event === 'opened' ? '' : ` (${event}${event === 'escalated' ? ` to ${levelName}` : ''})`;
  const subject = `[Wardline ${PRIORITY_LABEL[alert.priority]}] ${alert.title}: ${who}${what}`;
  const text = [
    `${alert.title} - ${who}`,
    alert.message,
    `Priority: ${alert.priority}. Opened ${alert.openedAt}. Level: ${levelName}.`,
    event === 'escalated' || event === 'renotified'
      ? `Not acknowledged yet (as of ${at.toISOString()}). Acknowledge on the Wardline dashboard.`
      : 'Acknowledge on the Wardline dashboard.',
    `Alert ${alert.id}.`,
  ].join('\n');
  return {
    subject,
    text,
    json: {
      event,
      alert: {
        id: alert.id,
        condition: alert.condition,
        priority: alert.priority,
        title: alert.title,
        message: alert.message,
        patientId: alert.patientId,
        patientName,
        wardId: alert.wardId,
        openedAt: alert.openedAt,
        level: alert.level,
        levelName,
      },
      text: `${subject}\n${alert.message}`,
    },
  };
}

export function familyMessage(alert: Alert, contact: FamilyContact, patientName: string, at: Date) {
  const wording = familyWording(alert, contact.consent.clinicalDetail);
  const local = new Intl.DateTimeFormat('en-GB', {
    timeZone: contact.timeZone,
    dateStyle: 'medium',
    timeStyle: 'short',
  }).format(new Date(alert.triggerMeasuredAt ?? alert.openedAt));
  const subject = `Wardline: ${wording.title} - ${patientName}`;
  const text = [
    `Dear ${contact.name},`,
    `${patientName}: ${wording.message}`,
    `Time: ${local}.`,
    'Please do not reply to this message. The care team will contact you if needed.',
  ].join('\n');
  return { subject, text, sms: `Wardline: ${patientName}: ${wording.message} (${local})`, sentAt: at };
}
