/**
 * PostgreSQL migration 10: the database keeps the guard itself, so a process
 * holding the MCP server's credentials (an agent with a shell among them)
 * can neither forge an approval nor rewrite the audit log by SQL. SQLite's
 * same-user file cannot do this; its migration 10 is empty.
 *
 * - `retivo_append_audit` links and appends one audit row inside the
 *   database: the head row locked FOR UPDATE, the row's hash computed here
 *   from the previous hash and the row's canonical JSON (the same bytes
 *   store/ops/audit.ts hashes), the head moved. One statement per append, and
 *   the only way a role without rights on audit_log and audit_head appends.
 * - The operator passphrase lives as a bcrypt hash (pgcrypto `crypt`) in the
 *   schema `retivo_private`, which the server role cannot even look into,
 *   one per operator name (the single anonymous operator is 'default').
 *   `retivo_decide_approval` checks it, records the operator's approval and
 *   counts the quorum under the request's lock, marking the request approved
 *   at the N-th distinct approval: the only way a role that does not own
 *   `approvals` can record an approval or make a request approved.
 * - A trigger on `approval_decisions` lets every other role insert
 *   rejections only (anyone may stop a request), and change or delete none.
 * - A trigger on `approvals` refuses, to every role but the table's owner
 *   (the functions run as the owner), an approved insert, the step to
 *   approved, a step to executed that did not come from approved, any
 *   change of what was approved (hash, facts, intervention, expiry, the
 *   approvals it needs, its tier), and any
 *   change of a recorded decision (who, when, what).
 * - A trigger on `interventions` refuses to those roles the step to approved
 *   or rolled_back unless the same transaction spent (executed) a request for
 *   that action on that intervention at that version, and an intervention
 *   inserted as anything but planned (the demo data is seeded by `db init`).
 *
 * What roles exist and who may do what is set by `retivo-mcp db init`
 * (src/store/postgres/roles.ts); on a store opened by one all-powerful role
 * these functions exist but nothing is withheld from that role.
 */

/** The private schema's name: holds the operator passphrase hashes. */
export const PRIVATE_SCHEMA = "retivo_private";

export const DATABASE_GUARD_MIGRATION = `
  DO $ext$ BEGIN
    -- pgcrypto's crypt() checks passphrases; a server without it can still run the store (no database guard then).
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pgcrypto')
       AND EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pgcrypto') THEN
      CREATE EXTENSION pgcrypto;
    END IF;
  END $ext$;

  CREATE SCHEMA IF NOT EXISTS ${PRIVATE_SCHEMA};
  CREATE TABLE ${PRIVATE_SCHEMA}.operator_passphrases (
    operator TEXT PRIMARY KEY,
    hash     TEXT NOT NULL,
    set_at   TEXT NOT NULL
  );

  CREATE FUNCTION retivo_audit_content(p_at TEXT, p_tenant_id TEXT, p_event TEXT, p_intervention_id TEXT, p_actor TEXT, p_detail TEXT)
  RETURNS TEXT LANGUAGE sql IMMUTABLE AS $fn$
    -- JSON.stringify of the array, byte for byte: to_json escapes strings as it does.
    SELECT '[' || to_json(p_at)::text || ',' || to_json(p_tenant_id)::text || ',' || to_json(p_event)::text || ','
      || COALESCE(to_json(p_intervention_id)::text, 'null') || ',' || to_json(p_actor)::text || ',' || to_json(p_detail)::text || ']'
  $fn$;

  CREATE FUNCTION retivo_append_audit(p_at TEXT, p_tenant_id TEXT, p_event TEXT, p_intervention_id TEXT, p_actor TEXT, p_detail TEXT)
  RETURNS BIGINT LANGUAGE plpgsql SECURITY DEFINER AS $fn$
  DECLARE
    v_prev TEXT;
    v_hash TEXT;
    v_seq  BIGINT;
  BEGIN
    SELECT hash INTO STRICT v_prev FROM audit_head WHERE id = 1 FOR UPDATE;
    v_hash := encode(sha256(convert_to(v_prev || retivo_audit_content(p_at, p_tenant_id, p_event, p_intervention_id, p_actor, p_detail), 'UTF8')), 'hex');
    INSERT INTO audit_log (at, tenant_id, event, intervention_id, actor, detail, prev_hash, hash)
      VALUES (p_at, p_tenant_id, p_event, p_intervention_id, p_actor, p_detail, v_prev, v_hash)
      RETURNING seq INTO v_seq;
    UPDATE audit_head SET seq = v_seq, hash = v_hash WHERE id = 1;
    RETURN v_seq;
  END
  $fn$;

  CREATE FUNCTION retivo_passphrase_set(p_operator TEXT) RETURNS BOOLEAN LANGUAGE sql STABLE SECURITY DEFINER AS $fn$
    SELECT EXISTS (SELECT 1 FROM ${PRIVATE_SCHEMA}.operator_passphrases WHERE operator = p_operator)
  $fn$;

  CREATE FUNCTION retivo_check_passphrase(p_operator TEXT, p_passphrase TEXT) RETURNS BOOLEAN LANGUAGE plpgsql STABLE SECURITY DEFINER AS $fn$
  DECLARE
    v_hash TEXT;
  BEGIN
    SELECT hash INTO v_hash FROM ${PRIVATE_SCHEMA}.operator_passphrases WHERE operator = p_operator;
    RETURN v_hash IS NOT NULL AND p_passphrase IS NOT NULL AND p_passphrase <> '' AND crypt(p_passphrase, v_hash) = v_hash;
  END
  $fn$;

  -- Setting the first passphrase is for the owner's sessions (db init); changing it needs the current one.
  CREATE FUNCTION retivo_set_passphrase(p_operator TEXT, p_current TEXT, p_new TEXT, p_now TEXT) RETURNS BOOLEAN LANGUAGE plpgsql SECURITY DEFINER AS $fn$
  DECLARE
    v_owner OID := (SELECT relowner FROM pg_class WHERE oid = '${PRIVATE_SCHEMA}.operator_passphrases'::regclass);
  BEGIN
    IF p_new IS NULL OR length(p_new) < 12 THEN
      RAISE EXCEPTION 'the operator passphrase must have at least 12 characters';
    END IF;
    IF NOT pg_has_role(session_user, v_owner, 'MEMBER') AND NOT retivo_check_passphrase(p_operator, p_current) THEN
      RETURN FALSE;
    END IF;
    INSERT INTO ${PRIVATE_SCHEMA}.operator_passphrases (operator, hash, set_at) VALUES (p_operator, crypt(p_new, gen_salt('bf', 10)), p_now)
      ON CONFLICT (operator) DO UPDATE SET hash = EXCLUDED.hash, set_at = EXCLUDED.set_at;
    RETURN TRUE;
  END
  $fn$;

  -- Records one operator's approval and counts the quorum, the database's twin of store/ops/decisions.ts recordDecision
  -- (which keeps doing it on SQLite and on a PostgreSQL store without this guard). Answers:
  -- 'approved' (this was the N-th distinct approval), 'counted' (fewer than the request needs), 'repeated' (this operator
  -- had decided it already), 'excluded' (the request's tier bars this operator, or named operators exist and this is the
  -- anonymous one), 'not_open' (answered, expired or gone),
  -- 'wrong_passphrase', 'no_passphrase'. Only 'approved' and 'counted' change anything; both append their audit row, whose
  -- detail gets the count appended when the caller's detail carries approvals_required (a team decision).
  CREATE FUNCTION retivo_decide_approval(
    p_id TEXT, p_operator TEXT, p_passphrase TEXT, p_by TEXT, p_answer TEXT, p_note TEXT, p_now TEXT, p_channel TEXT, p_audit_actor TEXT, p_audit_detail TEXT
  ) RETURNS TEXT LANGUAGE plpgsql SECURITY DEFINER AS $fn$
  DECLARE
    v_row    approvals%ROWTYPE;
    v_count  INTEGER;
    v_detail TEXT := p_audit_detail;
    -- A named operator's decision is recorded under the name whose passphrase was checked, whatever p_by says; the single
    -- anonymous operator's under the channel's actor (human:cli, human:page), as before operators.
    v_decider TEXT := CASE WHEN p_operator = 'default' THEN p_by ELSE p_operator END;
    v_vouched TEXT := 'database passphrase of ' || p_operator;
  BEGIN
    IF NOT retivo_passphrase_set(p_operator) THEN RETURN 'no_passphrase'; END IF;
    IF NOT retivo_check_passphrase(p_operator, p_passphrase) THEN RETURN 'wrong_passphrase'; END IF;
    -- The same lock recordDecision takes, then the row's own: two operators deciding at once are counted one after the other.
    PERFORM pg_advisory_xact_lock(hashtext('approval:' || p_id));
    SELECT * INTO v_row FROM approvals WHERE id = p_id FOR UPDATE;
    IF NOT FOUND OR v_row.status <> 'pending' OR v_row.expires_at <= p_now THEN RETURN 'not_open'; END IF;
    IF v_row.excluded_operator IS NOT NULL AND v_row.excluded_operator = v_decider THEN RETURN 'excluded'; END IF;
    -- Once named operators exist, every approval names one: the single anonymous passphrase approves nothing any more.
    IF p_operator = 'default' AND EXISTS (SELECT 1 FROM operators) THEN RETURN 'excluded'; END IF;
    -- One passphrase, one decision: the anonymous one cannot count twice by naming two channels.
    IF EXISTS (SELECT 1 FROM approval_decisions WHERE approval_id = p_id AND (operator = v_decider OR vouched_by = v_vouched)) THEN RETURN 'repeated'; END IF;
    INSERT INTO approval_decisions (approval_id, operator, answer, channel, vouched_by, note, at)
      VALUES (p_id, v_decider, 'approve', p_channel, v_vouched, p_note, p_now);
    SELECT count(*) INTO v_count FROM approval_decisions WHERE approval_id = p_id AND answer = 'approve';
    IF p_audit_detail::jsonb ? 'approvals_required' THEN
      v_detail := left(p_audit_detail, length(p_audit_detail) - 1)
        || ',"approvals_given":' || v_count || ',"quorum_reached":' || (v_count >= v_row.required_approvals)::text || '}';
    END IF;
    IF v_count >= v_row.required_approvals THEN
      -- Who released it: the distinct approvers in the order they decided, as recordDecision writes it.
      UPDATE approvals SET status = 'approved', decided_at = p_now, answer = p_answer, note = p_note,
          decided_by = (SELECT string_agg(operator, ', ' ORDER BY at, operator) FROM approval_decisions WHERE approval_id = p_id AND answer = 'approve')
        WHERE id = p_id;
    END IF;
    PERFORM retivo_append_audit(p_now, v_row.tenant_id, 'approval_answered', v_row.intervention_id, p_audit_actor, v_detail);
    RETURN CASE WHEN v_count >= v_row.required_approvals THEN 'approved' ELSE 'counted' END;
  END
  $fn$;

  -- A decision is recorded once and never changes; an approval is recorded only by retivo_decide_approval, which checked
  -- the operator's passphrase (it runs as the owner). Everyone else may record rejections only: anyone may stop a request.
  CREATE FUNCTION retivo_decisions_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN
      RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF TG_OP <> 'INSERT' THEN
      RAISE EXCEPTION 'approval_decisions: a recorded decision never changes';
    END IF;
    IF NEW.answer <> 'reject' THEN
      RAISE EXCEPTION 'approval_decisions: only the operator''s passphrase records an approval (retivo_decide_approval)';
    END IF;
    RETURN NEW;
  END
  $fn$;
  CREATE TRIGGER decisions_guard BEFORE INSERT OR UPDATE OR DELETE ON approval_decisions FOR EACH ROW EXECUTE FUNCTION retivo_decisions_guard();

  CREATE FUNCTION retivo_approvals_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
  BEGIN
    -- The owner (and so the functions above, which run as the owner) may; everyone else is held to the rules.
    IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN RETURN NEW; END IF;
    IF TG_OP = 'INSERT' THEN
      IF NEW.status <> 'pending' OR NEW.decided_at IS NOT NULL OR NEW.decided_by IS NOT NULL THEN
        RAISE EXCEPTION 'approvals: a request is created pending; only the operator''s passphrase approves it (retivo_decide_approval)';
      END IF;
      RETURN NEW;
    END IF;
    IF NEW.status = 'approved' AND OLD.status IS DISTINCT FROM 'approved' THEN
      RAISE EXCEPTION 'approvals: only the operator''s passphrase approves a request (retivo_decide_approval)';
    END IF;
    IF NEW.status = 'pending' AND OLD.status <> 'pending' THEN
      RAISE EXCEPTION 'approvals: a decided request cannot be reopened';
    END IF;
    IF NEW.status = 'executed' AND OLD.status NOT IN ('approved', 'executed') THEN
      RAISE EXCEPTION 'approvals: only an approved request can be executed';
    END IF;
    IF OLD.status <> 'pending' AND (NEW.decided_at, NEW.decided_by, NEW.answer, NEW.note) IS DISTINCT FROM (OLD.decided_at, OLD.decided_by, OLD.answer, OLD.note) THEN
      RAISE EXCEPTION 'approvals: a recorded decision (who, when, what) never changes';
    END IF;
    IF (NEW.id, NEW.tenant_id, NEW.action, NEW.intervention_id, NEW.action_hash, NEW.facts, NEW.display, NEW.principal, NEW.backend_mode, NEW.created_at, NEW.expires_at,
        NEW.required_approvals, NEW.excluded_operator, NEW.tier)
       IS DISTINCT FROM
       (OLD.id, OLD.tenant_id, OLD.action, OLD.intervention_id, OLD.action_hash, OLD.facts, OLD.display, OLD.principal, OLD.backend_mode, OLD.created_at, OLD.expires_at,
        OLD.required_approvals, OLD.excluded_operator, OLD.tier) THEN
      RAISE EXCEPTION 'approvals: what a request is for (action, intervention, hash, facts, expiry, required approvals, tier) never changes';
    END IF;
    RETURN NEW;
  END
  $fn$;
  CREATE TRIGGER approvals_guard BEFORE INSERT OR UPDATE ON approvals FOR EACH ROW EXECUTE FUNCTION retivo_approvals_guard();

  CREATE FUNCTION retivo_interventions_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
  DECLARE
    v_action TEXT;
  BEGIN
    IF pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER') THEN RETURN NEW; END IF;
    IF TG_OP = 'INSERT' THEN
      IF NEW.status <> 'planned' THEN
        RAISE EXCEPTION 'interventions: a new intervention is planned; only an approval spent in the same transaction moves it on';
      END IF;
      RETURN NEW;
    END IF;
    IF NEW.status IS NOT DISTINCT FROM OLD.status OR NEW.status NOT IN ('approved', 'rolled_back') THEN RETURN NEW; END IF;
    v_action := CASE NEW.status WHEN 'approved' THEN 'approve' ELSE 'rollback' END;
    -- Spent in this very transaction (its row version written by it), for this intervention at the version it had.
    IF NOT EXISTS (
      SELECT 1 FROM approvals a
      WHERE a.intervention_id = NEW.id AND a.action = v_action AND a.status = 'executed'
        AND a.xmin::text = (pg_current_xact_id()::text::bigint % 4294967296)::text
        AND (a.facts::json ->> 'version')::bigint = OLD.version
    ) THEN
      RAISE EXCEPTION 'interventions: % needs a human''s approval spent in the same transaction', v_action;
    END IF;
    RETURN NEW;
  END
  $fn$;
  CREATE TRIGGER interventions_guard BEFORE INSERT OR UPDATE ON interventions FOR EACH ROW EXECUTE FUNCTION retivo_interventions_guard();

  -- SECURITY DEFINER functions run with a search path fixed here (this schema, the private one, pgcrypto's; pg_temp last),
  -- so no role can slip its own audit_head or crypt() in front of them.
  DO $paths$
  DECLARE
    v_path TEXT := format('%I, ${PRIVATE_SCHEMA}, %s, pg_temp', current_schema(),
      COALESCE((SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pgcrypto'), 'public'));
    v_fn TEXT;
  BEGIN
    FOREACH v_fn IN ARRAY ARRAY[
      'retivo_append_audit(text, text, text, text, text, text)',
      'retivo_passphrase_set(text)',
      'retivo_check_passphrase(text, text)',
      'retivo_set_passphrase(text, text, text, text)',
      'retivo_decide_approval(text, text, text, text, text, text, text, text, text, text)'
    ] LOOP
      EXECUTE format('ALTER FUNCTION %s SET search_path = %s', v_fn, v_path);
      EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', v_fn);
    END LOOP;
  END $paths$;
`;
