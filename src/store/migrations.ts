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
  // 2: the MP155 process (issue 5): work orders, each hub's state on its work order, and the
  // journal of intake scans and decisions. Attempts learn their work order and operator.
  `
  CREATE TABLE work_orders (
    id TEXT PRIMARY KEY,
    sec_party_id TEXT NOT NULL,
    csp_region TEXT NOT NULL CHECK (csp_region IN ('North', 'Central', 'South')),
    state TEXT NOT NULL CHECK (state IN ('OPEN', 'CLOSED', 'CANCELLED')),
    source TEXT NOT NULL CHECK (source IN ('api', 'csv', 'demo')),
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    closed_at TEXT,
    closed_by TEXT,
    CHECK ((state = 'OPEN') = (closed_at IS NULL))
  ) STRICT;
  CREATE INDEX work_orders_by_party ON work_orders(sec_party_id, created_at);

  CREATE TABLE work_order_hubs (
    work_order_id TEXT NOT NULL REFERENCES work_orders(id),
    device_id TEXT NOT NULL CHECK (device_id GLOB '[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]-[0-9A-F][0-9A-F]'),
    line INTEGER NOT NULL,
    declared_model TEXT,
    declared_firmware_version TEXT,
    smi_status TEXT NOT NULL,
    smets_version TEXT NOT NULL CHECK (smets_version IN ('SMETS1', 'SMETS2')),
    state TEXT NOT NULL CHECK (state IN ('EXPECTED', 'ACCEPTED', 'REJECTED', 'FLASHING', 'REFLASHED', 'ALREADY_CURRENT', 'FAILED', 'SCRAP_PROPOSED', 'SCRAPPED', 'RETURNED', 'NOT_RECEIVED')),
    outcome TEXT CHECK (outcome IN ('REFLASHED', 'ALREADY_CURRENT', 'FAILED', 'SCRAP', 'REJECTED')),
    reason_code TEXT,
    flags_json TEXT NOT NULL DEFAULT '[]',
    firmware_before TEXT,
    firmware_after TEXT,
    target_version TEXT,
    attempt_count INTEGER NOT NULL DEFAULT 0,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    received_at TEXT,
    received_by TEXT,
    outcome_at TEXT,
    scrap_confirmed_at TEXT,
    scrap_confirmed_by TEXT,
    returned_at TEXT,
    returned_by TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (work_order_id, device_id),
    -- The state machine (src/domain/hub-state.ts) in SQL: state and outcome agree, scrap is confirmed by someone.
    CHECK (state NOT IN ('EXPECTED', 'ACCEPTED', 'NOT_RECEIVED') OR outcome IS NULL),
    CHECK (state <> 'FLASHING' OR outcome IS NULL OR outcome = 'FAILED'),
    CHECK (state NOT IN ('REFLASHED', 'ALREADY_CURRENT', 'REJECTED', 'FAILED') OR outcome = state),
    CHECK (state NOT IN ('SCRAP_PROPOSED', 'SCRAPPED') OR outcome = 'SCRAP'),
    CHECK (state <> 'RETURNED' OR (outcome IN ('REFLASHED', 'ALREADY_CURRENT', 'REJECTED') AND returned_by IS NOT NULL)),
    CHECK (state <> 'SCRAPPED' OR scrap_confirmed_by IS NOT NULL),
    CHECK (outcome IS NOT 'REFLASHED' OR (firmware_after IS NOT NULL AND firmware_after = target_version))
  ) STRICT;
  -- A hub is live (not returned, scrapped or written off) on at most one work order.
  CREATE UNIQUE INDEX work_order_hubs_live ON work_order_hubs(device_id) WHERE state NOT IN ('RETURNED', 'SCRAPPED', 'NOT_RECEIVED');
  CREATE INDEX work_order_hubs_by_device ON work_order_hubs(device_id);

  -- Append-only journal of the process: work orders created and closed, every intake scan (strangers
  -- too, with no work order), every hub state change and who did it.
  CREATE TABLE work_order_events (
    id INTEGER PRIMARY KEY,
    work_order_id TEXT REFERENCES work_orders(id),
    device_id TEXT,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    operator_id TEXT NOT NULL,
    data_json TEXT NOT NULL DEFAULT '{}'
  ) STRICT;
  CREATE INDEX work_order_events_by_order ON work_order_events(work_order_id, id);
  CREATE INDEX work_order_events_by_hub ON work_order_events(device_id, id);
  CREATE TRIGGER work_order_events_append_only_update BEFORE UPDATE ON work_order_events BEGIN SELECT RAISE(ABORT, 'work_order_events is append-only'); END;
  CREATE TRIGGER work_order_events_append_only_delete BEFORE DELETE ON work_order_events BEGIN SELECT RAISE(ABORT, 'work_order_events is append-only'); END;

  ALTER TABLE attempts ADD COLUMN work_order_id TEXT REFERENCES work_orders(id);
  ALTER TABLE attempts ADD COLUMN operator_id TEXT;
  CREATE INDEX attempts_by_work_order ON attempts(work_order_id, device_id, id);
  `,
  // 3: the N3 outbox (issue 6, docs/n3.md). One row per reported final outcome, written by a
  // HubTransitionSink in the transaction that commits the outcome. What was reported (key, payload,
  // its SHA-256) never changes and a row is never deleted; only its delivery state moves.
  `
  CREATE TABLE n3_outbox (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 16 AND 128),
    device_id TEXT NOT NULL,
    work_order_id TEXT NOT NULL REFERENCES work_orders(id),
    attempt_id INTEGER NOT NULL REFERENCES attempts(id),
    outcome TEXT NOT NULL CHECK (outcome IN ('REFLASHED', 'ALREADY_CURRENT', 'SCRAP', 'REJECTED')),
    payload_json TEXT NOT NULL CHECK (json_valid(payload_json)),
    payload_sha256 TEXT NOT NULL CHECK (length(payload_sha256) = 64),
    created_at TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'DELIVERED', 'DEAD')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TEXT,
    last_status INTEGER,
    last_error_code TEXT,
    last_error TEXT,
    delivered_at TEXT,
    delivered_status INTEGER,
    dead_at TEXT,
    dead_reason TEXT,
    requeue_count INTEGER NOT NULL DEFAULT 0,
    -- A hub has one final outcome per work order, so it is reported once per work order.
    UNIQUE (work_order_id, device_id),
    CHECK ((state = 'DELIVERED') = (delivered_at IS NOT NULL)),
    CHECK ((state = 'DEAD') = (dead_at IS NOT NULL)),
    CHECK (state <> 'DEAD' OR dead_reason IS NOT NULL)
  ) STRICT;
  CREATE INDEX n3_outbox_by_state ON n3_outbox(state, id);
  CREATE INDEX n3_outbox_by_device ON n3_outbox(device_id, id);
  CREATE TRIGGER n3_outbox_content_fixed BEFORE UPDATE OF idempotency_key, device_id, work_order_id, attempt_id, outcome, payload_json, payload_sha256, created_at ON n3_outbox
    BEGIN SELECT RAISE(ABORT, 'n3_outbox content never changes'); END;
  CREATE TRIGGER n3_outbox_delivered_final BEFORE UPDATE OF state ON n3_outbox WHEN OLD.state = 'DELIVERED' AND NEW.state <> 'DELIVERED'
    BEGIN SELECT RAISE(ABORT, 'a delivered notification stays delivered'); END;
  CREATE TRIGGER n3_outbox_no_delete BEFORE DELETE ON n3_outbox BEGIN SELECT RAISE(ABORT, 'n3_outbox rows are never deleted'); END;
  `,
  // 4 (issue 9): the facts a re-flash rests on reach the disk before the step that depends on them.
  // verified_at: the hub's SHA-256 equalled the image's (hub_sha256, image_sha256 and
  // firmware_target are written with it, while the attempt is still open). activate_at: ACTIVATE
  // was about to leave the wire; from then on the hub may boot the target. Older attempts are
  // backfilled from what they recorded: a verified hash, an ending at activation or read-back.
  `
  ALTER TABLE attempts ADD COLUMN verified_at TEXT;
  ALTER TABLE attempts ADD COLUMN activate_at TEXT;
  UPDATE attempts SET verified_at = COALESCE(finished_at, started_at)
    WHERE hub_sha256 IS NOT NULL AND hub_sha256 = image_sha256;
  UPDATE attempts SET activate_at = COALESCE(finished_at, started_at)
    WHERE result = 'REFLASHED' OR (verified_at IS NOT NULL AND error_phase IN ('ACTIVATING', 'READING_BACK'));
  `,
  // 5 (issue 11): the audit trail of API mutations: who (token name, signed-in operator or the
  // loopback grant), with which role, on which route and target, how it ended. Append-only.
  `
  CREATE TABLE api_audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    request_id TEXT NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('token', 'session', 'loopback', 'anonymous')),
    actor TEXT NOT NULL,
    token_id TEXT,
    operator_id TEXT,
    role TEXT,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    target TEXT,
    status INTEGER NOT NULL,
    error_code TEXT
  ) STRICT;
  CREATE INDEX api_audit_by_actor ON api_audit(actor, id);
  CREATE INDEX api_audit_by_route ON api_audit(route, id);
  CREATE TRIGGER api_audit_no_update BEFORE UPDATE ON api_audit BEGIN SELECT RAISE(ABORT, 'api_audit rows never change'); END;
  CREATE TRIGGER api_audit_no_delete BEFORE DELETE ON api_audit BEGIN SELECT RAISE(ABORT, 'api_audit rows are never deleted'); END;
  `,
  // 6 (issue 12): retention (src/store/retention.ts, store.retention). A notification may be deleted
  // once it is DELIVERED and its work order is settled (CLOSED or CANCELLED); a pending or dead one,
  // or one of an open work order, still never is.
  `
  DROP TRIGGER n3_outbox_no_delete;
  CREATE TRIGGER n3_outbox_no_delete BEFORE DELETE ON n3_outbox
    WHEN OLD.state <> 'DELIVERED' OR NOT EXISTS (SELECT 1 FROM work_orders w WHERE w.id = OLD.work_order_id AND w.state IN ('CLOSED', 'CANCELLED'))
    BEGIN SELECT RAISE(ABORT, 'only a delivered notification of a settled work order is deleted (retention)'); END;
  `,
  // 7 (issue 13): every quality-guard halt, pass and release, with who and why. The guards replay
  // it at start, so a passed canary, a halted model and a suspect slot survive a restart.
  `
  CREATE TABLE guard_actions (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('CANARY_PASSED', 'CANARY_FAILED', 'CANARY_RELEASED', 'MODEL_HALTED', 'MODEL_RESUMED', 'SLOT_SUSPECT', 'SLOT_SELF_TEST', 'SLOT_RELEASED')),
    model TEXT,
    version TEXT,
    jig_id TEXT,
    slot INTEGER,
    by TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (length(reason) > 0),
    CHECK ((kind LIKE 'SLOT_%') = (jig_id IS NOT NULL AND slot IS NOT NULL)),
    CHECK ((kind LIKE 'SLOT_%') <> (model IS NOT NULL AND version IS NOT NULL))
  ) STRICT;
  CREATE TRIGGER guard_actions_append_only_update BEFORE UPDATE ON guard_actions BEGIN SELECT RAISE(ABORT, 'guard_actions is append-only'); END;
  CREATE TRIGGER guard_actions_append_only_delete BEFORE DELETE ON guard_actions BEGIN SELECT RAISE(ABORT, 'guard_actions is append-only'); END;
  `,
  // 8: what is read often reads in time independent of the store's age (docs/performance.md, "A year
  // of records"). The outbox figures (after every session, every log interval, each watchdog status)
  // counted every row: the counts per state are kept by triggers instead, and the last delivery has
  // its own index. The shift panel and the batch failures read today's attempts by start or finish
  // time: indexed, not a scan of every attempt ever made; the attempts a crash left open (read at
  // every start) have their own index.
  `
  CREATE TABLE n3_outbox_counts (
    state TEXT PRIMARY KEY CHECK (state IN ('PENDING', 'DELIVERED', 'DEAD')),
    n INTEGER NOT NULL CHECK (n >= 0)
  ) STRICT, WITHOUT ROWID;
  INSERT INTO n3_outbox_counts (state, n)
    SELECT s.state, (SELECT count(*) FROM n3_outbox o WHERE o.state = s.state) FROM (SELECT 'PENDING' AS state UNION ALL SELECT 'DELIVERED' UNION ALL SELECT 'DEAD') s;
  CREATE TRIGGER n3_outbox_count_insert AFTER INSERT ON n3_outbox
    BEGIN UPDATE n3_outbox_counts SET n = n + 1 WHERE state = NEW.state; END;
  CREATE TRIGGER n3_outbox_count_state AFTER UPDATE OF state ON n3_outbox WHEN OLD.state <> NEW.state
    BEGIN UPDATE n3_outbox_counts SET n = n - 1 WHERE state = OLD.state; UPDATE n3_outbox_counts SET n = n + 1 WHERE state = NEW.state; END;
  CREATE TRIGGER n3_outbox_count_delete AFTER DELETE ON n3_outbox
    BEGIN UPDATE n3_outbox_counts SET n = n - 1 WHERE state = OLD.state; END;
  CREATE INDEX n3_outbox_delivered_at ON n3_outbox(delivered_at) WHERE state = 'DELIVERED';
  CREATE INDEX attempts_by_start ON attempts(started_at);
  CREATE INDEX attempts_by_finish ON attempts(finished_at) WHERE finished_at IS NOT NULL;
  CREATE INDEX attempts_open ON attempts(id) WHERE finished_at IS NULL;
  `,
];
