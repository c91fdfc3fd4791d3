/**
 * Human approval for approve and rollback (DESIGN.md, "Human approval").
 * `createGuard` is what the runtime wires; the page handler and the CLI
 * commands are exported for the HTTP transport and `cli.ts`.
 */
export { createGuard, type ApprovalGuardWithPage, type GuardDeps } from "./guard.js";
export { actionFactsOf, actionHash, type ActionFacts } from "../domain/action-hash.js";
export { APPROVAL_PATH_PREFIX, createApprovalPageHandler, type ApprovalPageHandler } from "./approval-page.js";
export { ApprovalPageHost, startLoopbackApprovalServer, type LoopbackApprovalServer } from "./page-server.js";
export { runApprovalsCommand } from "./cli-approvals.js";
export { runAuditCommand } from "./cli-audit.js";
export type { CommandIo } from "./cli-io.js";
export type * from "./types.js";
