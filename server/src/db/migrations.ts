/**
 * Schema migrations, applied in order inside one transaction each; `PRAGMA user_version`
 * records how far a database has come. Append only: never edit a migration that has shipped.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE wards (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('care_home', 'virtual_ward')),
    site_code TEXT NOT NULL
  );
  CREATE TABLE beds (
    id TEXT PRIMARY KEY,
    ward_id TEXT NOT NULL REFERENCES wards(id),
    label TEXT NOT NULL,
    sort_order INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE patients (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    bed_id TEXT UNIQUE REFERENCES beds(id),
    admitted_at TEXT,
    discharged_at TEXT
  );
  CREATE TABLE gateways (
    id TEXT PRIMARY KEY,
    site_code TEXT NOT NULL,
    gateway_code TEXT NOT NULL,
    ward_id TEXT REFERENCES wards(id),
    status_json TEXT,
    status_at TEXT,
    UNIQUE (site_code, gateway_code)
  );
  CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    site_code TEXT NOT NULL,
    last_gateway_id TEXT REFERENCES gateways(id),
    status_json TEXT,
    status_at TEXT
  );
  CREATE TABLE assignments (
    device_id TEXT PRIMARY KEY REFERENCES devices(id),
    patient_id TEXT NOT NULL REFERENCES patients(id),
    assigned_at TEXT NOT NULL,
    assigned_by TEXT NOT NULL
  );
  CREATE TABLE assignment_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    assigned_at TEXT NOT NULL,
    assigned_by TEXT NOT NULL,
    unassigned_at TEXT,
    unassigned_by TEXT
  );
  CREATE TABLE observations (
    id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    patient_id TEXT,
    gateway_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    measured_at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    seq INTEGER NOT NULL,
    values_json TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX observations_by_patient ON observations (patient_id, kind, measured_at);
  CREATE TABLE latest_observations (
    patient_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    observation_id TEXT NOT NULL,
    measured_at TEXT NOT NULL,
    PRIMARY KEY (patient_id, kind)
  ) WITHOUT ROWID;
  CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    topic TEXT NOT NULL,
    code TEXT NOT NULL,
    detail TEXT NOT NULL,
    payload TEXT NOT NULL,
    payload_bytes INTEGER NOT NULL
  );
  CREATE INDEX dead_letters_by_code ON dead_letters (code, id);
  CREATE TABLE users (
    username TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('nurse', 'admin', 'family')),
    display_name TEXT NOT NULL,
    patient_id TEXT REFERENCES patients(id)
  );
  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  `,
];
