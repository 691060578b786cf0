import type { DeviceState } from '@wardline/protocol';
import { useId, useState, type FormEvent } from 'react';
import { assignDevice, registerDevice, unassignDevice } from '../../api/client.js';
import { formatAbsolute, parseTime } from '../../lib/time.js';
import { LOW_BATTERY_PERCENT } from '../../lib/vitals.js';
import { TimeAgo } from '../TimeAgo.js';
import { AdminForm } from './AdminForm.js';
import { DataTable } from './DataTable.js';
import { adminErrorMessage } from './errors.js';
import { refusalLine, SelectInput, TextInput, useForm } from './forms.js';
import type { AdminData, Resident } from './useAdminData.js';
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
      setRowError({ deviceId, message: refusalLine(adminErrorMessage(err, action)) });
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
      <DataTable
        testId="devices-table"
        labelledBy="device-list-title"
        columns={['Device', 'Status', 'Battery', 'Last seen', 'Assigned to', null]}
      >
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
      </DataTable>
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

/** The inputs' ids, which the browser tests know. */
const FIELD_ID = { deviceId: 'device-id', model: 'device-model', siteCode: 'device-site' } as const;

function RegisterDeviceForm({ data, onChanged }: Omit<Props, 'now'>) {
  const [deviceId, setDeviceId] = useState('');
  const [model, setModel] = useState('');
  const [siteCode, setSiteCode] = useState(() =>
    data.siteCodes.length === 1 ? (data.siteCodes[0] ?? '') : '',
  );
  const form = useForm<'deviceId' | 'model' | 'siteCode'>((err) => adminErrorMessage(err, 'register'));

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const values = { deviceId: deviceId.trim(), model: model.trim(), siteCode };
    void form.run(
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
  return (
    <AdminForm
      title={{ id: 'register-title', text: 'Register a device', level: 3 }}
      testId="register-device-form"
      onSubmit={submit}
      form={form}
      summary={form.items((field) => FIELD_ID[field])}
      summaryTestId="register-error"
      submit={{ label: 'Register device', busyLabel: 'Registering…', testId: 'register-device-submit' }}
      fields={
        <>
          <TextInput
            id="device-id"
            label="Device ID"
            hint="As printed on the device, e.g. a1:b2:c3:d4:e5:f6"
            error={form.errors.deviceId}
            value={deviceId}
            onChange={setDeviceId}
            autoCapitalize="none"
            spellCheck={false}
            maxLength={64}
            testId="device-id-input"
          />
          <TextInput
            id="device-model"
            label="Model"
            hint="e.g. UA-651BLE"
            error={form.errors.model}
            value={model}
            onChange={setModel}
            maxLength={64}
            testId="device-model-input"
          />
          <SelectInput
            id="device-site"
            label="Site"
            error={form.errors.siteCode}
            value={siteCode}
            onChange={setSiteCode}
            placeholder="Choose a site"
            options={data.siteCodes.map((s) => ({ value: s, label: s }))}
            testId="device-site-input"
          />
        </>
      }
    />
  );
}
