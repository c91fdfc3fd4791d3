/**
 * The store port over an engine: each operation of store/ops/, run in the
 * kind of transaction it needs (a plain read, a snapshot, an atomic write).
 * Engine-independent: the same binding serves SQLite and PostgreSQL.
 */
import * as approvals from "./ops/approvals.js";
import * as reminders from "./ops/approval-reminders.js";
import * as audit from "./ops/audit.js";
import * as catalog from "./ops/catalog.js";
import * as changes from "./ops/changes.js";
import * as decisions from "./ops/decisions.js";
import * as operators from "./ops/operators.js";
import * as deliveries from "./ops/deliveries.js";
import * as dispatch from "./ops/dispatch.js";
import * as claims from "./ops/dispatch-claims.js";
import * as leases from "./ops/delivery-leases.js";
import * as settings from "./ops/guard-settings.js";
import * as interventions from "./ops/interventions.js";
import * as rateLimits from "./ops/rate-limits.js";
import * as seed from "./ops/seed.js";
import * as nonces from "./ops/webhook-nonces.js";
import type { Store } from "./port.js";
import type { Engine } from "./sql.js";
import type { ListQuery } from "../domain/list.js";

/** Every input of a list page (the type fails to compile if ListQuery gains one), so two reads share a cached page only when they ask the same. */
function listKey(tenantId: string, query: ListQuery): string {
  const inputs: Record<keyof ListQuery, unknown> = {
    limit: query.limit,
    cursor: query.cursor,
    status: query.status,
    user_id: query.user_id,
    channel: query.channel,
    flagged: query.flagged,
  };
  return JSON.stringify(["listCompact", tenantId, inputs]);
}

export function storeOver(engine: Engine): Store {
  const read = engine.read.bind(engine);
  const write = engine.write.bind(engine);
  return {
    engine: engine.dialect.name,
    location: engine.location,
    interventions: {
      get: (tenantId, id) => read((tx) => interventions.findRow(tx, tenantId, id)),
      detail: (tenantId, id) => engine.readCached(JSON.stringify(["detail", tenantId, id]), (tx) => interventions.findDetail(tx, tenantId, id)),
      getAny: (id) => read((tx) => interventions.findAnyRow(tx, id)),
      list: (tenantId, query) => read((tx) => interventions.listRows(tx, tenantId, query)),
      listCompact: (tenantId, query) => engine.readCached(listKey(tenantId, query), (tx) => interventions.listCompactRows(tx, tenantId, query)),
      idsByPrefix: (tenantId, prefix, statuses, limit) => read((tx) => interventions.idsByPrefix(tx, tenantId, prefix, statuses, limit)),
      versionsOf: (tenantId, ids) => read((tx) => interventions.versionsOf(tx, tenantId, ids)),
      countByStatus: (tenantId) => read((tx) => interventions.countByStatus(tx, tenantId)),
      createdSince: (tenantId, userId, since) => read((tx) => interventions.createdSince(tx, tenantId, userId, since)),
      replayOf: (tenantId, key, requestHash, now) => read((tx) => changes.replayOf(tx, tenantId, key, requestHash, now)),
      create: (record) => write((tx) => changes.create(tx, record)),
      async transition(request) {
        const result = await write((tx) => changes.transition(tx, request));
        if (result.kind === "refused") throw result.refusal;
        return result.kind === "moved" ? { status: result.status, moved: true, row: result.row } : { status: result.status, moved: false };
      },
      flag: (tenantId, id, reason, actor, now) => write((tx) => changes.flag(tx, tenantId, id, reason, actor, now)),
      async assertApprovable(tenantId, id, now) {
        const refusal = await write(async (tx) => changes.refuseWithoutConsent(tx, await changes.requireRow(tx, tenantId, id), now));
        if (refusal) throw refusal;
      },
    },
    catalog: {
      tenant: (tenantId) => read((tx) => catalog.getTenant(tx, tenantId)),
      setKillSwitch: (tenantId, active) => write((tx) => catalog.setKillSwitch(tx, tenantId, active)),
      setShadowMode: (tenantId, active) => write((tx) => catalog.setShadowMode(tx, tenantId, active)),
      setWebhook: (tenantId, url, secret) => write((tx) => catalog.setWebhook(tx, tenantId, url, secret)),
      setBrandContext: (tenantId, brand) => write((tx) => catalog.setBrandContext(tx, tenantId, brand)),
      setMessagePolicy: (tenantId, policy) => write((tx) => catalog.setMessagePolicy(tx, tenantId, policy)),
      customer: (tenantId, userId) => read((tx) => catalog.getCustomer(tx, tenantId, userId)),
      setCustomerConsent: (tenantId, userId, gates, now) => write((tx) => changes.setCustomerConsent(tx, tenantId, userId, gates, now)),
      searchCustomerIds: (tenantId, prefix, limit) => read((tx) => catalog.searchCustomerIds(tx, tenantId, prefix, limit)),
      playbook: (tenantId, id) => read((tx) => catalog.getPlaybook(tx, tenantId, id)),
      playbooks: (tenantId, activeOnly) => read((tx) => catalog.listPlaybooks(tx, tenantId, activeOnly)),
    },
    deliveries: {
      of: (interventionId) => read((tx) => deliveries.deliveriesOf(tx, interventionId)),
      latest: (interventionId, kind) => read((tx) => deliveries.latestDelivery(tx, interventionId, kind)),
    },
    dispatch: {
      due: (tenants, now) => read((tx) => claims.dueRows(tx, tenants, now.toISOString())),
      release: (candidate, simulated, terms, now) => write((tx) => dispatch.releaseDue(tx, candidate, simulated, terms, now)),
      record: (row, kind, attempt, outcome, detail, now) => write((tx) => dispatch.recordAttempt(tx, row, kind, attempt, outcome, detail, now)),
      deliveryIdFor: (row, kind, now) => write((tx) => dispatch.deliveryIdFor(tx, row, kind, now)),
      finish: (row, finish, now) => write((tx) => dispatch.finishDelivery(tx, row, finish, now)),
      takeAbandoned: (tenants, now, terms, busy) => write((tx) => claims.takeAbandoned(tx, tenants, now, terms, busy)),
      lease: (key, terms, now) => write((tx) => leases.takeLease(tx, key, terms, now)),
      renewLeases: (keys, terms, now) => write((tx) => leases.renewLeases(tx, keys, terms, now)),
      releaseLease: (key, owner) => write((tx) => leases.releaseLease(tx, key, owner)),
    },
    rateLimits: {
      take: (bucket, perMinute, now) => write((tx) => rateLimits.takeToken(tx, bucket, perMinute, now)),
    },
    approvals: {
      insert: (spec, auditOf) =>
        write(async (tx) => {
          const row = await approvals.insertApproval(tx, spec);
          await audit.appendAudit(tx, auditOf(row), spec.now);
          return row;
        }),
      get: (id) => read((tx) => approvals.getApproval(tx, id)),
      requestsOf: (interventionId, action, principal) => read((tx) => approvals.requestsOf(tx, interventionId, action, principal)),
      lastExecuted: (interventionId, action) => read((tx) => approvals.lastExecuted(tx, interventionId, action)),
      listOpen: () => read((tx) => approvals.listOpenApprovals(tx)),
      listApprovedUnexecuted: (backendId, now) => read((tx) => approvals.listApprovedUnexecuted(tx, backendId, now)),
      close: (id, status, now, outcome, event) =>
        write(async (tx) => {
          const closed = await approvals.closeApproval(tx, id, status, now, outcome);
          if (closed) await audit.appendAudit(tx, event, now);
          return closed;
        }),
      recordDecision: (decision, auditOf) =>
        write(async (tx) => {
          const result = await decisions.recordDecision(tx, decision);
          const event = auditOf(result);
          if (event) await audit.appendAudit(tx, event, decision.now);
          return result;
        }),
      decisionsOf: (id) => read((tx) => decisions.decisionsOf(tx, id)),
      claimDueReminders: (kind, now, auditOf) =>
        write((tx) => reminders.claimDueReminders(tx, kind, now, 50, (row) => audit.appendAudit(tx, auditOf(row), now))),
      consume: (id, now) => write((tx) => approvals.consumeApprovalRow(tx, id, now)),
      recordOutcome: (id, status, outcome) => write((tx) => approvals.recordOutcome(tx, id, status, outcome)),
      countFailedAttempt: (id) => write((tx) => approvals.countFailedAttempt(tx, id)),
    },
    operators: {
      list: () => read((tx) => operators.listOperators(tx)),
      get: (name) => read((tx) => operators.getOperator(tx, name)),
      ofPrincipal: (principal) => read((tx) => operators.operatorOfPrincipal(tx, principal)),
      add: (operator, event) => write(async (tx) => (await operators.addOperator(tx, operator)) && (await audit.appendAudit(tx, event), true)),
      remove: (name, event) => write(async (tx) => (await operators.removeOperator(tx, name)) && (await audit.appendAudit(tx, event), true)),
      setPassphrase: (name, passphrase, event) =>
        write(async (tx) => (await operators.setOperatorPassphrase(tx, name, passphrase)) && (await audit.appendAudit(tx, event), true)),
    },
    guardSettings: {
      get: (key) => read((tx) => settings.getSetting(tx, key)),
      put: (key, value, now) => write((tx) => settings.putSetting(tx, key, value, now)),
      settle: (key, value, now) => write((tx) => settings.settleSetting(tx, key, value, now)),
      update: (key, change, now) => write((tx) => settings.updateSetting(tx, key, change, now)),
    },
    webhookNonces: {
      claim: (nonce, expiresAt, now) => write((tx) => nonces.claimWebhookNonce(tx, nonce, expiresAt, now)),
    },
    audit: {
      append: (event, now) => write((tx) => audit.appendAudit(tx, event, now)),
      trail: (interventionId) => read((tx) => audit.auditTrail(tx, interventionId)),
      recent: (limit) => read((tx) => audit.recentAudit(tx, limit)),
      verify: () => engine.snapshot((tx) => audit.verifyAuditChain(tx)),
    },
    seed: {
      seedTenant: (data, now) => write((tx) => seed.seedTenant(tx, data, now)),
      insertPlaybook: (tenantId, playbook) => write((tx) => seed.insertPlaybook(tx, tenantId, playbook)),
      insertCustomer: (tenantId, customer) => write((tx) => seed.insertCustomer(tx, tenantId, customer)),
    },
    ping: () => read(async (tx) => void (await tx.get("SELECT 1 AS ok"))),
    close: () => engine.close(),
  };
}
