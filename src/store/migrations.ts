/**
 * Versioned schema migrations, applied in order inside one transaction each; `PRAGMA
 * user_version` records the last one applied. Never edit a shipped migration: add the next.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE hubs (
    device_id TEXT PRIMARY KEY CHECK (device_id GLOB '[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]'),
    gpf_device_id TEXT NOT NULL,
    manufacturer TEXT NOT NULL,
    model TEXT NOT NULL,
    hardware_version INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('FLASHING', 'FINISHED')),
    outcome TEXT CHECK (outcome IN ('REFLASHED', 'ALREADY_CURRENT', 'FAILED', 'SCRAP', 'REJECTED')),
    previous_firmware_version TEXT NOT NULL,
    firmware_version TEXT NOT NULL,
    attempt_count INTEGER NOT NULL DEFAULT 0,
    last_error_code TEXT,
    first_seen_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  ) STRICT;

  CREATE TABLE attempts (
    id INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES hubs(device_id),
    bench_id TEXT NOT NULL,
    jig_id TEXT NOT NULL,
    slot INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    result TEXT CHECK (result IN ('REFLASHED', 'ALREADY_CURRENT', 'FAILED', 'SCRAP', 'REJECTED', 'INTERRUPTED')),
    firmware_before TEXT NOT NULL,
    firmware_target TEXT,
    firmware_after TEXT,
    image_sha256 TEXT,
    hub_sha256 TEXT,
    error_code TEXT,
    error_message TEXT,
    error_phase TEXT,
    timings_json TEXT NOT NULL DEFAULT '{}',
    transfer_json TEXT,
    -- A re-flash counts only with the hub's own hash equal to the image's and the target version read back.
    CHECK (result IS NOT 'REFLASHED' OR (hub_sha256 IS NOT NULL AND hub_sha256 = image_sha256 AND firmware_after IS NOT NULL AND firmware_after = firmware_target)),
    CHECK ((result IS NULL) = (finished_at IS NULL))
  ) STRICT;
  CREATE INDEX attempts_by_hub ON attempts(device_id, id);
  CREATE INDEX hubs_by_outcome ON hubs(outcome, device_id);

  -- Append-only journal of what happened to each hub.
  CREATE TABLE hub_events (
    id INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES hubs(device_id),
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    data_json TEXT NOT NULL DEFAULT '{}'
  ) STRICT;
  CREATE INDEX hub_events_by_hub ON hub_events(device_id, id);
  CREATE TRIGGER hub_events_append_only_update BEFORE UPDATE ON hub_events BEGIN SELECT RAISE(ABORT, 'hub_events is append-only'); END;
  CREATE TRIGGER hub_events_append_only_delete BEFORE DELETE ON hub_events BEGIN SELECT RAISE(ABORT, 'hub_events is append-only'); END;
  `,
];
