import type { DeviceState } from '@wardline/protocol';
import { useId, useState, type FormEvent } from 'react';
import { assignDevice, registerDevice, unassignDevice } from '../../api/client.js';
import { formatAbsolute, parseTime } from '../../lib/time.js';
import { LOW_BATTERY_PERCENT } from '../../lib/vitals.js';
import { TimeAgo } from '../TimeAgo.js';
import { ErrorSummary, Field, type SummaryItem } from './ErrorSummary.js';
import { adminErrorMessage } from './errors.js';
import type { AdminData, Resident } from './useAdminData.js';
import { useAdminForm } from './useAdminForm.js';
import { validateDevice } from './validation.js';

interface Props {
  data: AdminData;
  now: number;
  onChanged: (message: string) => Promise<void>;
}

export function DevicesSection({ data, now, onChanged }: Props) {
  const [filter, setFilter] = useState('');
  const [rowError, setRowError] = useState<{ deviceId: string; message: string } | null>(null);
  const residentById = new Map(data.residents.map((r) => [r.patientId, r]));
  const q = filter.trim().toLowerCase();
  const devices = data.devices.filter((d) => {
    if (!q) return true;
    const who = residentById.get(data.assignments.get(d.deviceId)?.patientId ?? '');
    return [d.deviceId, d.model, who?.displayName ?? '', who?.bedLabel ?? ''].some((s) =>
      s.toLowerCase().includes(q),
    );
  });

  const act = async (deviceId: string, action: 'assign' | 'unassign', run: () => Promise<string>) => {
    setRowError(null);
    try {
      await onChanged(await run());
    } catch (err) {
      const { message, code } = adminErrorMessage(err, action);
      setRowError({ deviceId, message: code ? `${message} (${code})` : message });
    }
  };

  return (
    <section className="panel" aria-labelledby="devices-title" id="devices">
      <h2 id="devices-title" className="panel__title">
        Devices
      </h2>
      <RegisterDeviceForm data={data} onChanged={onChanged} />
      <div className="panel__header">
        <h3 id="device-list-title">
          All devices <span className="count">({data.devices.length})</span>
        </h3>
        <div className="inline-field">
          <label htmlFor="device-filter">Find</label>
          <input
            id="device-filter"
            type="search"
            value={filter}
            onChange={(e) => setFilter(e.target.value)}
            placeholder="ID, model or resident"
            data-testid="device-filter"
          />
        </div>
      </div>
      <div className="table-scroll" tabIndex={0} role="region" aria-labelledby="device-list-title">
        <table className="data-table" data-testid="devices-table">
          <thead>
            <tr>
              <th scope="col">Device</th>
              <th scope="col">Status</th>
              <th scope="col">Battery</th>
              <th scope="col">Last seen</th>
              <th scope="col">Assigned to</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {devices.map((d) => {
              const assignment = data.assignments.get(d.deviceId);
              const resident = assignment ? residentById.get(assignment.patientId) : undefined;
              return (
                <DeviceRow
                  key={d.deviceId}
                  device={d}
                  now={now}
                  assignedTo={assignment ? (resident ?? assignment.patientId) : null}
                  residents={data.residents}
                  error={rowError?.deviceId === d.deviceId ? rowError.message : null}
                  onAssign={(patientId) =>
                    act(d.deviceId, 'assign', async () => {
                      await assignDevice(d.deviceId, patientId);
                      const r = residentById.get(patientId);
                      return `${d.model} ${d.deviceId} is now assigned to ${r ? `${r.displayName} (${r.bedLabel})` : patientId}.`;
                    })
                  }
                  onUnassign={() =>
                    act(d.deviceId, 'unassign', async () => {
                      await unassignDevice(d.deviceId);
                      return `${d.model} ${d.deviceId} was unassigned.`;
                    })
                  }
                />
              );
            })}
          </tbody>
        </table>
      </div>
      {devices.length === 0 && <p>{q ? 'No device matches.' : 'No devices are registered.'}</p>}
    </section>
  );
}

interface RowProps {
  device: DeviceState;
  now: number;
  /** The resident, or the bare patient id of someone no longer in a bed. */
  assignedTo: Resident | string | null;
  residents: Resident[];
  error: string | null;
  onAssign: (patientId: string) => Promise<void>;
  onUnassign: () => Promise<void>;
}

function DeviceRow({ device, now, assignedTo, residents, error, onAssign, onUnassign }: RowProps) {
  const id = useId();
  const [patientId, setPatientId] = useState('');
  const [busy, setBusy] = useState(false);
  const { status } = device;
  const lastSeen = parseTime(status?.lastSeen);
  const state = status === null ? 'unknown' : status.connected ? 'connected' : 'disconnected';
  const run = async (fn: () => Promise<void>) => {
    setBusy(true);
    try {
      await fn();
    } finally {
      setBusy(false);
    }
  };
  return (
    <tr data-testid="device-row" data-device-id={device.deviceId} data-state={state}>
      <th scope="row">
        <span className="mono">{device.deviceId}</span>
        <span className="data-table__sub">{device.model}</span>
      </th>
      <td>
        <span className={`status status--${state}`}>
          {state === 'connected' ? 'Connected' : state === 'disconnected' ? 'Disconnected' : 'No status yet'}
        </span>
      </td>
      <td>
        {status?.battery ? (
          <span className={status.battery.value < LOW_BATTERY_PERCENT ? 'battery--low' : undefined}>
            {Math.round(status.battery.value)}%{status.battery.value < LOW_BATTERY_PERCENT && ' (low)'}
          </span>
        ) : (
          <span className="muted">Unknown</span>
        )}
      </td>
      <td>
        {lastSeen !== null ? (
          <>
            <TimeAgo at={lastSeen} now={now} />
            <span className="data-table__sub">{formatAbsolute(lastSeen)}</span>
          </>
        ) : (
          <span className="muted">Never</span>
        )}
      </td>
      <td data-testid="device-assigned-to">
        {assignedTo === null ? (
          <span className="muted">Not assigned</span>
        ) : typeof assignedTo === 'string' ? (
          assignedTo
        ) : (
          <>
            {assignedTo.displayName}
            <span className="data-table__sub">
              {assignedTo.bedLabel}, {assignedTo.wardName}
            </span>
          </>
        )}
      </td>
      <td className="data-table__actions">
        {assignedTo !== null ? (
          <button
            type="button"
            className="button button--secondary button--small"
            disabled={busy}
            onClick={() => void run(onUnassign)}
            data-testid="unassign-button"
          >
            Unassign<span className="visually-hidden"> {device.deviceId}</span>
          </button>
        ) : (
          <form
            className="assign-form"
            onSubmit={(e: FormEvent) => {
              e.preventDefault();
              if (patientId) void run(() => onAssign(patientId));
            }}
          >
            <label htmlFor={`${id}-assign`} className="visually-hidden">
              Assign {device.deviceId} to
            </label>
            <select
              id={`${id}-assign`}
              value={patientId}
              onChange={(e) => setPatientId(e.target.value)}
              data-testid="assign-select"
            >
              <option value="">Choose a resident</option>
              {residents.map((r) => (
                <option key={r.patientId} value={r.patientId}>
                  {r.displayName} ({r.bedLabel})
                </option>
              ))}
            </select>
            <button
              type="submit"
              className="button button--small"
              disabled={busy || !patientId}
              data-testid="assign-button"
            >
              Assign<span className="visually-hidden"> {device.deviceId}</span>
            </button>
          </form>
        )}
        {error && (
          <p className="field__error" role="alert" data-testid="device-row-error">
            {error}
          </p>
        )}
      </td>
    </tr>
  );
}

function RegisterDeviceForm({ data, onChanged }: Omit<Props, 'now'>) {
  const [deviceId, setDeviceId] = useState('');
  const [model, setModel] = useState('');
  const [siteCode, setSiteCode] = useState(() =>
    data.siteCodes.length === 1 ? (data.siteCodes[0] ?? '') : '',
  );
  const { errors, apiError, attempt, busy, run } = useAdminForm<'deviceId' | 'model' | 'siteCode'>(
    'register',
  );

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const values = { deviceId: deviceId.trim(), model: model.trim(), siteCode };
    void run(
      () => validateDevice(values),
      async () => {
        await registerDevice(values);
        setDeviceId('');
        setModel('');
        await onChanged(
          `${values.model} ${values.deviceId} was registered at ${values.siteCode}. Assign it to a resident below.`,
        );
      },
    );
  };
  const items: SummaryItem[] = [
    ...(errors.deviceId ? [{ fieldId: 'device-id', message: errors.deviceId }] : []),
    ...(errors.model ? [{ fieldId: 'device-model', message: errors.model }] : []),
    ...(errors.siteCode ? [{ fieldId: 'device-site', message: errors.siteCode }] : []),
    ...(apiError ? [{ fieldId: null, message: apiError.message }] : []),
  ];

  return (
    <form
      className="admin-form"
      onSubmit={submit}
      noValidate
      aria-labelledby="register-title"
      data-testid="register-device-form"
    >
      <h3 id="register-title">Register a device</h3>
      <ErrorSummary items={items} code={apiError?.code ?? null} testId="register-error" attempt={attempt} />
      <div className="admin-form__fields">
        <Field
          id="device-id"
          label="Device ID"
          hint="As printed on the device, e.g. a1:b2:c3:d4:e5:f6"
          error={errors.deviceId}
        >
          {(describedBy, invalid) => (
            <input
              id="device-id"
              type="text"
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              maxLength={64}
              value={deviceId}
              onChange={(e) => setDeviceId(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid || undefined}
              data-testid="device-id-input"
            />
          )}
        </Field>
        <Field id="device-model" label="Model" hint="e.g. UA-651BLE" error={errors.model}>
          {(describedBy, invalid) => (
            <input
              id="device-model"
              type="text"
              autoComplete="off"
              maxLength={64}
              value={model}
              onChange={(e) => setModel(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid || undefined}
              data-testid="device-model-input"
            />
          )}
        </Field>
        <Field id="device-site" label="Site" error={errors.siteCode}>
          {(describedBy, invalid) => (
            <select
              id="device-site"
              value={siteCode}
              onChange={(e) => setSiteCode(e.target.value)}
              aria-describedby={describedBy}
              aria-invalid={invalid || undefined}
              data-testid="device-site-input"
            >
              <option value="">Choose a site</option>
              {data.siteCodes.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <button type="submit" className="button" disabled={busy} data-testid="register-device-submit">
        {busy ? 'Registering…' : 'Register device'}
      </button>
    </form>
  );
}
