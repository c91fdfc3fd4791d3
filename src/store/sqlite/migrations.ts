/**
 * Schema migrations of the local store, applied in order inside one transaction
 * each; `PRAGMA user_version` records the last one applied. Append new entries;
 * never edit one that has shipped.
 *
 * Every table carries `tenant_id`: the REST server gives test keys their own
 * data set ('test') beside the live one ('live'), in the same file.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the domain
  `
  CREATE TABLE tenants (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL,
    kill_switch_active  INTEGER NOT NULL DEFAULT 0,
    shadow_mode         INTEGER NOT NULL DEFAULT 0,
    product_description TEXT NOT NULL DEFAULT '',
    tone_guidelines     TEXT NOT NULL DEFAULT '',
    things_to_mention   TEXT NOT NULL DEFAULT '[]',
    things_to_avoid     TEXT NOT NULL DEFAULT '[]',
    webhook_url         TEXT,
    webhook_secret      TEXT,
    escalation_threshold REAL NOT NULL DEFAULT 0.6,
    created_at          TEXT NOT NULL
  );

  CREATE TABLE customers (
    tenant_id        TEXT NOT NULL REFERENCES tenants(id),
    id               TEXT NOT NULL,
    name             TEXT NOT NULL,
    email            TEXT NOT NULL,
    company          TEXT,
    role             TEXT,
    team_size        INTEGER,
    locale           TEXT NOT NULL DEFAULT 'en',
    lifecycle_stage  TEXT NOT NULL,
    activation_score REAL NOT NULL,
    engagement_score REAL NOT NULL,
    expansion_score  REAL NOT NULL,
    health           REAL NOT NULL,
    risk_level       TEXT NOT NULL,
    opted_out        INTEGER NOT NULL DEFAULT 0,
    paused           INTEGER NOT NULL DEFAULT 0,
    last_activity_at TEXT,
    churned_at       TEXT,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
  );

  CREATE TABLE playbooks (
    tenant_id         TEXT NOT NULL REFERENCES tenants(id),
    id                TEXT NOT NULL,
    name              TEXT NOT NULL,
    status            TEXT NOT NULL,
    lifecycle_area    TEXT NOT NULL,
    entry_conditions  TEXT NOT NULL,
    exit_conditions   TEXT NOT NULL,
    constraints       TEXT NOT NULL,
    strategy_hints    TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    status_changed_at TEXT NOT NULL,
    success_rate      REAL,
    PRIMARY KEY (tenant_id, id)
  );

  CREATE TABLE interventions (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id),
    user_id         TEXT NOT NULL,
    playbook_id     TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN
                      ('planned','approved','paused','rejected','sent','delivered','failed','suppressed','rolled_back')),
    channel         TEXT NOT NULL CHECK (channel IN ('email','in_app','webhook')),
    subject         TEXT,
    message_body    TEXT NOT NULL,
    reasoning       TEXT NOT NULL,
    confidence      REAL NOT NULL,
    planned_at      TEXT NOT NULL,
    approved_at     TEXT,
    sent_at         TEXT,
    delivered_at    TEXT,
    rolled_back_at  TEXT,
    flagged         INTEGER NOT NULL DEFAULT 0,
    flag_reason     TEXT,
    quality_checks  TEXT,
    reject_reason   TEXT,
    rollback_reason TEXT,
    suppress_reason TEXT,
    origin          TEXT NOT NULL DEFAULT 'manual',
    provenance      TEXT,
    version         INTEGER NOT NULL DEFAULT 1,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    FOREIGN KEY (tenant_id, user_id) REFERENCES customers(tenant_id, id),
    FOREIGN KEY (tenant_id, playbook_id) REFERENCES playbooks(tenant_id, id)
  );
  -- Pages are newest first by seq; each filter has an index ending in seq so a
  -- filtered page is an index range scan whatever the table size.
  CREATE INDEX interventions_by_tenant  ON interventions (tenant_id, seq);
  CREATE INDEX interventions_by_status  ON interventions (tenant_id, status, seq);
  CREATE INDEX interventions_by_user    ON interventions (tenant_id, user_id, seq);
  CREATE INDEX interventions_by_flagged ON interventions (tenant_id, flagged, seq);
  CREATE INDEX interventions_by_channel ON interventions (tenant_id, channel, seq);
  CREATE INDEX interventions_due        ON interventions (status, planned_at);

  CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    intervention_id TEXT NOT NULL REFERENCES interventions(id),
    channel         TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('delivery','retraction')),
    attempt         INTEGER NOT NULL,
    outcome         TEXT NOT NULL,
    detail          TEXT NOT NULL,
    created_at      TEXT NOT NULL
  );
  CREATE INDEX deliveries_by_intervention ON deliveries (intervention_id, id);

  CREATE TABLE inbox (
    intervention_id TEXT PRIMARY KEY REFERENCES interventions(id),
    tenant_id       TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    subject         TEXT,
    body            TEXT NOT NULL,
    delivered_at    TEXT NOT NULL,
    withdrawn_at    TEXT
  );
  CREATE INDEX inbox_by_user ON inbox (tenant_id, user_id);

  -- Append-only and hash-chained: each row's hash covers its content and the
  -- previous row's hash, so an edit anywhere breaks every later link.
  CREATE TABLE audit_log (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    at              TEXT NOT NULL,
    tenant_id       TEXT NOT NULL,
    event           TEXT NOT NULL,
    intervention_id TEXT,
    actor           TEXT NOT NULL,
    detail          TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
  );
  CREATE INDEX audit_by_intervention ON audit_log (intervention_id, seq);
  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  `,
  // 2: human approval (src/guard). A request is bound to one action hash, one
  // MCP session and one intervention; it is spent by setting consumed_at in the
  // same transaction as the transition it allowed. Tokens are stored hashed.
  `
  CREATE TABLE approvals (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    action           TEXT NOT NULL CHECK (action IN ('approve','rollback')),
    intervention_id  TEXT NOT NULL,
    action_hash      TEXT NOT NULL,
    facts            TEXT NOT NULL,
    display          TEXT NOT NULL,
    session_id       TEXT NOT NULL,
    client_name      TEXT NOT NULL,
    client_version   TEXT NOT NULL,
    channel          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending','approved','denied','expired','void')),
    page_token_hash  TEXT NOT NULL,
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    decided_at       TEXT,
    decided_by       TEXT,
    answer           TEXT,
    note             TEXT,
    consumed_at      TEXT
  );
  CREATE INDEX approvals_by_intervention ON approvals (intervention_id, action, session_id, status);
  CREATE INDEX approvals_open ON approvals (status, expires_at);

  -- Operator settings of the guard (the passphrase's scrypt hash and salt).
  CREATE TABLE guard_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  `,
  // 3: the audit chain's head: the last row's seq and hash, moved in the same
  // transaction as every append, so a log whose tail was cut off no longer
  // matches it. Seeded from the existing log (seq 0 and the genesis hash when
  // empty). It can only move forward and never be deleted.
  `
  CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT NOT NULL
  );
  INSERT INTO audit_head (id, seq, hash) VALUES (
    1,
    COALESCE((SELECT seq FROM audit_log ORDER BY seq DESC LIMIT 1), 0),
    COALESCE((SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1), '${"0".repeat(64)}')
  );
  CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head WHEN NEW.seq <= OLD.seq
    BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END;
  CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END;
  `,
  // 4: a request belongs to the action and the requesting principal (the
  // bearer token's identity over HTTP, 'local' for this store's own agents),
  // never to a transport session, so a reconnecting client finds it again.
  // The human's decision is the release: 'approved' means decided and not yet
  // executed; 'executed' once spent in the transition's own transaction;
  // 'failed' when a spent approval's execution failed upstream. `outcome`
  // says what happened. Page links are derived from a per-store key
  // (guard_settings), so a link stays valid until decided or expired and is
  // no longer stored. A flag from an agent or operator is kept beside the
  // flag the quality checks or the engine raised, never over it.
  `
  CREATE TABLE approvals_v4 (
    id               TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    action           TEXT NOT NULL CHECK (action IN ('approve','rollback')),
    intervention_id  TEXT NOT NULL,
    action_hash      TEXT NOT NULL,
    facts            TEXT NOT NULL,
    display          TEXT NOT NULL,
    principal        TEXT NOT NULL,
    client_name      TEXT NOT NULL,
    client_version   TEXT NOT NULL,
    backend_mode     TEXT NOT NULL,
    channel          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending','approved','executed','denied','expired','void','failed')),
    failed_attempts  INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    expires_at       TEXT NOT NULL,
    decided_at       TEXT,
    decided_by       TEXT,
    answer           TEXT,
    note             TEXT,
    executed_at      TEXT,
    outcome          TEXT
  );
  INSERT INTO approvals_v4 (id, tenant_id, action, intervention_id, action_hash, facts, display, principal, client_name,
      client_version, backend_mode, channel, status, failed_attempts, created_at, expires_at, decided_at, decided_by,
      answer, note, executed_at, outcome)
    SELECT id, tenant_id, action, intervention_id, action_hash, facts, display, 'local', client_name, client_version,
      'local', channel, CASE WHEN status = 'approved' AND consumed_at IS NOT NULL THEN 'executed' ELSE status END,
      failed_attempts, created_at, expires_at, decided_at, decided_by, answer, note, consumed_at, NULL
    FROM approvals;
  DROP TABLE approvals;
  ALTER TABLE approvals_v4 RENAME TO approvals;
  CREATE INDEX approvals_by_request ON approvals (intervention_id, action, principal, created_at);
  CREATE INDEX approvals_open ON approvals (status, expires_at);

  ALTER TABLE interventions ADD COLUMN review_flag_reason TEXT;
  `,
  // 5: the tenant's message policy (the writer's compliance and brand checks).
  // Email needs the sender's postal address and an opt-out (an ESP merge token
  // such as {{unsubscribe_url}}, or a link); ai_disclosure, when set, is a line
  // appended to model-written text; max_emoji NULL means no limit; link_hosts is
  // a JSON array of the hosts a message may link to (empty: no links at all).
  // Existing tenants get NULLs, so their new emails are flagged until the
  // policy is set (a fresh seed writes the demo tenant's).
  `
  ALTER TABLE tenants ADD COLUMN postal_address TEXT;
  ALTER TABLE tenants ADD COLUMN unsubscribe TEXT;
  ALTER TABLE tenants ADD COLUMN ai_disclosure TEXT;
  ALTER TABLE tenants ADD COLUMN max_emoji INTEGER CHECK (max_emoji IS NULL OR max_emoji >= 0);
  ALTER TABLE tenants ADD COLUMN link_hosts TEXT NOT NULL DEFAULT '[]';
  `,
  // 6: webhook delivery ids. Each webhook delivery and each retraction gets one
  // id when it is queued; every attempt and resume sends it again
  // (X-Retivo-Delivery, Idempotency-Key, and in the signed body), so a receiver
  // can drop repeats. Rows of other channels, and older rows, leave it NULL.
  `
  ALTER TABLE deliveries ADD COLUMN delivery_id TEXT;
  `,
  // 7: Idempotency-Key on create (the REST server, 24 h). The first answer to a
  // key is kept with a hash of the request it answered: the same key and body
  // get that answer again, the same key with another body a 409. Written in
  // the same transaction as the intervention it created.
  `
  CREATE TABLE idempotency_keys (
    tenant_id       TEXT NOT NULL,
    key             TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    intervention_id TEXT NOT NULL REFERENCES interventions(id),
    response        TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key)
  );
  CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
  `,
  // 8: the compact row's one-line preview, written with the body (api/compact.ts
  // preview()), so a list page reads it instead of cutting and collapsing every
  // body on every call. Rows written before it keep NULL and are previewed on read.
  `
  ALTER TABLE interventions ADD COLUMN preview TEXT;
  `,
  // 9: named operators and decisions counted per operator (team approvals).
  // An operator's passphrase is an scrypt hash like the single operator
  // passphrase's (guard/passphrase.ts); `principal` maps a requesting
  // principal to the operator who runs that agent, so a policy can bar the
  // requester's own human. Each request carries the tier the policy gave it
  // when it was made (so editing the policy does not change an open request):
  // how many distinct operators must approve (never fewer than one), whose
  // approval does not count, and when reminders and escalation are due, each
  // claimed once by the replica that sends it. A decision row per operator
  // and request (the key refuses a second one), counted in the transaction
  // that executes. Rows approved before this migration get the one decision
  // they had.
  `
  CREATE TABLE operators (
    name        TEXT PRIMARY KEY,
    passphrase  TEXT,
    principal   TEXT UNIQUE,
    created_at  TEXT NOT NULL
  );

  ALTER TABLE approvals ADD COLUMN required_approvals INTEGER NOT NULL DEFAULT 1 CHECK (required_approvals >= 1);
  ALTER TABLE approvals ADD COLUMN excluded_operator TEXT;
  ALTER TABLE approvals ADD COLUMN tier TEXT;
  ALTER TABLE approvals ADD COLUMN remind_at TEXT;
  ALTER TABLE approvals ADD COLUMN reminded_at TEXT;
  ALTER TABLE approvals ADD COLUMN escalate_at TEXT;
  ALTER TABLE approvals ADD COLUMN escalated_at TEXT;

  CREATE TABLE approval_decisions (
    approval_id  TEXT NOT NULL REFERENCES approvals(id),
    operator     TEXT NOT NULL,
    answer       TEXT NOT NULL CHECK (answer IN ('approve','reject')),
    channel      TEXT NOT NULL,
    vouched_by   TEXT NOT NULL,
    note         TEXT,
    at           TEXT NOT NULL,
    PRIMARY KEY (approval_id, operator)
  );

  INSERT INTO approval_decisions (approval_id, operator, answer, channel, vouched_by, note, at)
    SELECT id, COALESCE(decided_by, 'human'), 'approve', channel, 'before operators', note, COALESCE(decided_at, created_at)
    FROM approvals WHERE status = 'approved';
  `,
  // 10: nothing here. PostgreSQL's migration 10 lets the database itself refuse forged approvals and
  // audit rewrites to the server's role; one user's SQLite file has no second role to refuse anything to.
  `-- PostgreSQL only`,
  // 11: what
  // several replicas on one store must share. Leases on dispatch work (a sent
  // row's delivery, keyed by its id; a retraction, by "<id>:retraction"),
  // renewed by their owner while the work is in flight (store/ops/delivery-leases.ts);
  // and the REST API's per-key rate-limit buckets (a token bucket: tokens left
  // and when they were last counted), so N replicas allow the configured rate
  // in all, not N times it.
  `
  CREATE TABLE delivery_leases (
    work_key   TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at TEXT NOT NULL
  );
  CREATE TABLE rate_limit_buckets (
    bucket      TEXT PRIMARY KEY,
    tokens      REAL NOT NULL,
    counted_at  TEXT NOT NULL
  );
  `,
  // 12: nonces of signed decisions that came through the approval webhook
  // (POST /approvals/{id}/decisions). A nonce is refused the second time it
  // is seen, on any replica; it is kept until its timestamp could no longer
  // pass the 5-minute window anyway (`expires_at`), then dropped.
  `
  CREATE TABLE approval_webhook_nonces (
    nonce       TEXT PRIMARY KEY,
    seen_at     TEXT NOT NULL,
    expires_at  TEXT NOT NULL
  );
  CREATE INDEX approval_webhook_nonces_by_expiry ON approval_webhook_nonces (expires_at);
  `,
];
