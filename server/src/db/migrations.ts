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
  // Time-series spool: line-protocol points waiting for InfluxDB, written in id order. The index on
  // measured_at serves retention.
  `
  CREATE TABLE timeseries_spool (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    observation_id TEXT NOT NULL,
    line TEXT NOT NULL,
    enqueued_at TEXT NOT NULL
  );
  CREATE INDEX observations_by_time ON observations (measured_at);
  `,
  // Clinical alerting: alerts (at most one unresolved per subject and condition, enforced by a
  // partial unique index), their audit trail, persisted escalation timers (next_escalation_at),
  // per-patient thresholds with an audit, family contacts with consent, and the durable
  // notification outbox.
  `
  CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT NOT NULL,
    condition TEXT NOT NULL,
    patient_id TEXT REFERENCES patients(id),
    ward_id TEXT,
    device_id TEXT,
    gateway_id TEXT,
    priority TEXT NOT NULL CHECK (priority IN ('critical', 'high', 'medium', 'low')),
    state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    detail_json TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    trigger_measured_at TEXT,
    updated_at TEXT NOT NULL,
    occurrences INTEGER NOT NULL DEFAULT 1,
    level INTEGER NOT NULL DEFAULT 1,
    next_escalation_at TEXT,
    acknowledged_at TEXT,
    acknowledged_by TEXT,
    resolved_at TEXT,
    resolved_by TEXT,
    resolution_note TEXT
  );
  CREATE UNIQUE INDEX alerts_one_unresolved ON alerts (subject, condition) WHERE state != 'resolved';
  CREATE INDEX alerts_by_state ON alerts (state, ward_id, opened_at);
  CREATE INDEX alerts_by_patient ON alerts (patient_id, opened_at);
  CREATE INDEX alerts_escalation_due ON alerts (next_escalation_at) WHERE next_escalation_at IS NOT NULL;
  CREATE TABLE alert_transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id INTEGER NOT NULL REFERENCES alerts(id),
    at TEXT NOT NULL,
    type TEXT NOT NULL,
    actor TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    level INTEGER NOT NULL,
    note TEXT
  );
  CREATE INDEX alert_transitions_by_alert ON alert_transitions (alert_id, id);
  CREATE TABLE patient_thresholds (
    patient_id TEXT PRIMARY KEY REFERENCES patients(id),
    thresholds_json TEXT NOT NULL
  );
  CREATE TABLE threshold_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    at TEXT NOT NULL,
    by TEXT NOT NULL,
    field TEXT NOT NULL,
    old_json TEXT NOT NULL,
    new_json TEXT NOT NULL,
    reason TEXT NOT NULL
  );
  CREATE TABLE device_activity (
    device_id TEXT PRIMARY KEY,
    last_heard_at TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE family_contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    contact_json TEXT NOT NULL,
    consent_recorded_at TEXT NOT NULL,
    consent_recorded_by TEXT NOT NULL,
    deleted_at TEXT,
    deleted_by TEXT
  );
  CREATE TABLE family_contact_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id INTEGER NOT NULL REFERENCES family_contacts(id),
    at TEXT NOT NULL,
    by TEXT NOT NULL,
    action TEXT NOT NULL,
    old_json TEXT,
    new_json TEXT
  );
  CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id INTEGER NOT NULL REFERENCES alerts(id),
    transition_id INTEGER NOT NULL REFERENCES alert_transitions(id),
    audience TEXT NOT NULL CHECK (audience IN ('staff', 'family')),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook', 'sms')),
    recipient TEXT NOT NULL,
    contact_id INTEGER REFERENCES family_contacts(id),
    priority TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'not_configured', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (transition_id, channel, recipient)
  );
  CREATE INDEX notifications_due ON notifications (state, next_attempt_at);
  CREATE INDEX notifications_by_recipient ON notifications (recipient, sent_at);
  CREATE INDEX notifications_by_alert ON notifications (alert_id);
  `,
  // Edge isolation: a device may be pinned to one gateway of its site (NULL: any gateway of the
  // site); messages whose handling keeps failing are counted across restarts until dead-lettered;
  // staff accounts can be disabled; sign-in failures are throttled per user and per address and
  // every sign-in attempt is recorded with the name tried.
  `
  ALTER TABLE devices ADD COLUMN gateway_code TEXT;
  ALTER TABLE users ADD COLUMN disabled_at TEXT;
  CREATE TABLE ingest_failures (
    message_hash TEXT PRIMARY KEY,
    topic TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    first_failed_at TEXT NOT NULL,
    last_error TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE sign_in_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_at TEXT NOT NULL,
    locked_until TEXT
  ) WITHOUT ROWID;
  CREATE TABLE sign_in_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    username TEXT NOT NULL,
    address TEXT,
    outcome TEXT NOT NULL,
    code TEXT
  );
  CREATE INDEX sign_in_events_by_user ON sign_in_events (username, id);
  `,
  // Running it for real. Organisations hold sites (whose codes are the MQTT site segment, so unique
  // across the server), sites hold wards, wards hold beds; anything may be closed, nothing deleted.
  // What was there before belongs to one organisation. Patients gain identifiers and an admission
  // history; staff belong to one organisation with a role (optionally limited to some wards), are
  // invited by e-mail, may have a TOTP second factor and federated (OIDC) identities. Sessions
  // record when they were last used (idle timeout). Gateway kits (a hub and its devices) carry
  // credentials the broker replicates through a change feed. The audit table is append-only: no
  // update ever, and no delete of anything younger than 30 days (retention removes older rows).
  `
  CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    require_admin_totp INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    closed_at TEXT
  );
  INSERT INTO organisations (id, name, created_at)
    VALUES ('org-default', 'Wardline organisation', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
  CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('care_home', 'virtual_ward')),
    created_at TEXT NOT NULL,
    closed_at TEXT
  );
  CREATE INDEX sites_by_organisation ON sites (organisation_id, name);
  INSERT INTO sites (id, organisation_id, code, name, kind, created_at)
    SELECT 'site-' || site_code, 'org-default', site_code, min(name), min(kind), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
      FROM wards GROUP BY site_code;
  ALTER TABLE wards ADD COLUMN site_id TEXT REFERENCES sites(id);
  ALTER TABLE wards ADD COLUMN organisation_id TEXT REFERENCES organisations(id);
  ALTER TABLE wards ADD COLUMN closed_at TEXT;
  UPDATE wards SET site_id = 'site-' || site_code, organisation_id = 'org-default';
  CREATE INDEX wards_by_organisation ON wards (organisation_id, name);
  ALTER TABLE beds ADD COLUMN closed_at TEXT;

  ALTER TABLE patients ADD COLUMN organisation_id TEXT REFERENCES organisations(id);
  ALTER TABLE patients ADD COLUMN nhs_number TEXT;
  ALTER TABLE patients ADD COLUMN date_of_birth TEXT;
  ALTER TABLE patients ADD COLUMN preferred_name TEXT;
  ALTER TABLE patients ADD COLUMN next_of_kin_json TEXT;
  ALTER TABLE patients ADD COLUMN gp_ods_code TEXT;
  ALTER TABLE patients ADD COLUMN created_at TEXT;
  UPDATE patients SET organisation_id = 'org-default', created_at = coalesce(admitted_at, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
  CREATE UNIQUE INDEX patients_nhs_number ON patients (organisation_id, nhs_number) WHERE nhs_number IS NOT NULL;
  CREATE INDEX patients_by_name ON patients (organisation_id, display_name);
  CREATE TABLE admissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    ward_id TEXT NOT NULL REFERENCES wards(id),
    bed_id TEXT NOT NULL REFERENCES beds(id),
    admitted_at TEXT NOT NULL,
    admitted_by TEXT NOT NULL,
    discharged_at TEXT,
    discharged_by TEXT
  );
  CREATE INDEX admissions_by_patient ON admissions (patient_id, id);
  INSERT INTO admissions (patient_id, ward_id, bed_id, admitted_at, admitted_by)
    SELECT p.id, b.ward_id, b.id, coalesce(p.admitted_at, p.created_at), 'migration'
      FROM patients p JOIN beds b ON b.id = p.bed_id;

  DROP TABLE sessions;
  CREATE TABLE users_v5 (
    username TEXT PRIMARY KEY,
    password_hash TEXT,
    role TEXT NOT NULL CHECK (role IN ('nurse', 'nurse_in_charge', 'admin', 'family', 'operator')),
    display_name TEXT NOT NULL,
    email TEXT,
    organisation_id TEXT REFERENCES organisations(id),
    patient_id TEXT REFERENCES patients(id),
    disabled_at TEXT,
    totp_secret TEXT,
    totp_enabled_at TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    CHECK ((role = 'operator') = (organisation_id IS NULL)),
    CHECK ((role = 'family') = (patient_id IS NOT NULL))
  );
  INSERT INTO users_v5 (username, password_hash, role, display_name, organisation_id, patient_id, disabled_at,
                        created_at, created_by)
    SELECT username, password_hash, role, display_name, 'org-default', patient_id, disabled_at,
           strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'migration'
      FROM users WHERE role != 'family' OR patient_id IS NOT NULL;
  DROP TABLE users;
  ALTER TABLE users_v5 RENAME TO users;
  CREATE UNIQUE INDEX users_by_email ON users (lower(email)) WHERE email IS NOT NULL;
  CREATE INDEX users_by_organisation ON users (organisation_id, username);
  CREATE TABLE user_wards (
    username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    ward_id TEXT NOT NULL REFERENCES wards(id),
    PRIMARY KEY (username, ward_id)
  ) WITHOUT ROWID;
  CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    second_factor TEXT NOT NULL DEFAULT 'none'
  );
  CREATE INDEX sessions_by_user ON sessions (username);
  CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
  );
  CREATE INDEX account_tokens_by_user ON account_tokens (username);
  CREATE TABLE federated_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    linked_at TEXT NOT NULL,
    PRIMARY KEY (issuer, subject)
  ) WITHOUT ROWID;

  CREATE TABLE kits (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    site_id TEXT NOT NULL REFERENCES sites(id),
    gateway_code TEXT NOT NULL,
    label TEXT NOT NULL,
    patient_id TEXT REFERENCES patients(id),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at TEXT,
    revoked_by TEXT,
    UNIQUE (site_id, gateway_code)
  );
  CREATE INDEX kits_by_organisation ON kits (organisation_id, label);
  CREATE TABLE kit_devices (
    device_id TEXT PRIMARY KEY REFERENCES devices(id),
    kit_id TEXT NOT NULL REFERENCES kits(id)
  ) WITHOUT ROWID;
  CREATE INDEX kit_devices_by_kit ON kit_devices (kit_id);
  CREATE TABLE kit_issues (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kit_id TEXT NOT NULL REFERENCES kits(id),
    patient_id TEXT NOT NULL REFERENCES patients(id),
    issued_at TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    returned_at TEXT,
    returned_by TEXT
  );
  CREATE INDEX kit_issues_by_kit ON kit_issues (kit_id, id);
  CREATE TABLE gateway_credentials (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kit_id TEXT NOT NULL REFERENCES kits(id),
    username TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    not_after TEXT,
    revoked_at TEXT
  );
  CREATE INDEX gateway_credentials_by_username ON gateway_credentials (username, id);
  CREATE TABLE credential_changes (
    version INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    at TEXT NOT NULL
  );

  CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    organisation_id TEXT,
    actor TEXT NOT NULL,
    actor_role TEXT,
    action TEXT NOT NULL,
    patient_id TEXT,
    target_type TEXT,
    target_id TEXT,
    address TEXT,
    detail_json TEXT
  );
  CREATE INDEX audit_by_organisation ON audit_events (organisation_id, at);
  CREATE INDEX audit_by_patient ON audit_events (patient_id, at) WHERE patient_id IS NOT NULL;
  CREATE INDEX audit_by_actor ON audit_events (actor, at);
  CREATE TRIGGER audit_events_append_only BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
  CREATE TRIGGER audit_events_kept BEFORE DELETE ON audit_events
    WHEN old.at > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-30 days')
    BEGIN SELECT RAISE(ABORT, 'audit events are kept at least 30 days'); END;
  `,
  // Reading quality: the device's quality flags (a JSON array of protocol QUALITY_FLAGS), NULL when
  // it reported none.
  `
  ALTER TABLE observations ADD COLUMN quality_json TEXT;
  `,
  // NEWS2 history: one row each time a patient's score, risk or completeness changes (not on every
  // reading), with the summary it was scored from.
  `
  CREATE TABLE news2_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id TEXT NOT NULL,
    at TEXT NOT NULL,
    score INTEGER NOT NULL,
    risk TEXT NOT NULL,
    complete INTEGER NOT NULL,
    details_json TEXT NOT NULL
  );
  CREATE INDEX news2_history_by_patient ON news2_history (patient_id, at);
  `,
  // Blood-pressure management (NICE NG136): whether a patient is treated for hypertension (their
  // home-monitoring target depends on it), and lying-then-standing tests, kept apart from
  // observations so that they never enter the home series, NEWS2 or BP alerts.
  `
  CREATE TABLE patient_bp_treatment (
    patient_id TEXT PRIMARY KEY REFERENCES patients(id),
    treated INTEGER NOT NULL CHECK (treated IN (0, 1)),
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
  );
  CREATE TABLE postural_tests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    patient_id TEXT NOT NULL REFERENCES patients(id),
    recorded_at TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    test_json TEXT NOT NULL,
    positive INTEGER NOT NULL CHECK (positive IN (0, 1))
  );
  CREATE INDEX postural_tests_by_patient ON postural_tests (patient_id, id);
  `,
  // Post-fall observations: after a fall, sets of observations are due at set times from it; one
  // schedule per patient (a new fall restarts it), kept apart from the fall's alert, which a nurse
  // resolves long before the last set is due.
  `
  CREATE TABLE post_fall_observations (
    patient_id TEXT PRIMARY KEY REFERENCES patients(id),
    alert_id INTEGER NOT NULL,
    fall_at TEXT NOT NULL,
    schedule_json TEXT NOT NULL,
    next_index INTEGER NOT NULL,
    prompted_through INTEGER NOT NULL,
    next_due_at TEXT,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX post_fall_observations_due ON post_fall_observations (next_due_at) WHERE next_due_at IS NOT NULL;
  `,
  // Ingest's hot reads: a patient's last NEWS2 history row (by id, not time) and who had a device
  // when a replayed reading was measured; without these each was a scan that grew with the data.
  `
  CREATE INDEX news2_history_last ON news2_history (patient_id, id);
  CREATE INDEX assignment_history_by_device ON assignment_history (device_id, assigned_at);
  `,
  // Ingest keeps each device's route (site, pinned gateway, patient, bed, ward) in memory; any write
  // that could change a route, by whatever code or process, gives this row a new random value, and
  // a cached route is used only while the value it was read under is still current. Random rather
  // than a counter, so that a rolled-back change followed by another cannot bring an old value back.
  `
  CREATE TABLE route_generation (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
  INSERT INTO route_generation (id, value) VALUES (1, random());
  CREATE TRIGGER route_changed_device_insert AFTER INSERT ON devices
    BEGIN UPDATE route_generation SET value = random(); END;
  CREATE TRIGGER route_changed_device_delete AFTER DELETE ON devices
    BEGIN UPDATE route_generation SET value = random(); END;
  CREATE TRIGGER route_changed_device_update AFTER UPDATE OF id, site_code, gateway_code ON devices
    BEGIN UPDATE route_generation SET value = random(); END;
  CREATE TRIGGER route_changed_assignment_insert AFTER INSERT ON assignments
    BEGIN UPDATE route_generation SET value = random(); END;
  CREATE TRIGGER route_changed_assignment_delete AFTER DELETE ON assignments
    BEGIN UPDATE route_generation SET value = random(); END;
  CREATE TRIGGER route_changed_assignment_update AFTER UPDATE ON assignments
    BEGIN UPDATE route_generation SET value = random(); END;
  CREATE TRIGGER route_changed_patient_delete AFTER DELETE ON patients
    BEGIN UPDATE route_generation SET value = random(); END;
  CREATE TRIGGER route_changed_patient_update AFTER UPDATE OF id, bed_id ON patients
    BEGIN UPDATE route_generation SET value = random(); END;
  CREATE TRIGGER route_changed_bed_delete AFTER DELETE ON beds
    BEGIN UPDATE route_generation SET value = random(); END;
  CREATE TRIGGER route_changed_bed_update AFTER UPDATE OF id, ward_id ON beds
    BEGIN UPDATE route_generation SET value = random(); END;
  `,
  // Work that must happen once however many server replicas run (escalations, overdue and silent-device
  // checks, the notification outbox, retention, the time-series spool) is done by whichever replica holds
  // its lease; a lease not renewed before it expires passes to another replica. Each account's last
  // used TOTP time step is kept here too, so that a code used on one replica is refused on the others.
  `
  CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  CREATE TABLE totp_steps (
    username TEXT PRIMARY KEY REFERENCES users(username) ON DELETE CASCADE,
    last_step INTEGER NOT NULL
  );
  `,
];
