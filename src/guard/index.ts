/**
 * Human approval for approve and rollback (DESIGN.md, "Human approval").
 * `createGuard` is what the runtime wires; the page handler is exported for
 * the HTTP transport. The approvals and audit commands are not here: `cli.ts`
 * imports them itself, so a server's start does not load them.
 */
export { createGuard, type ApprovalGuardWithPage, type GuardDeps } from "./guard.js";
export { actionFactsOf, actionHash, type ActionFacts } from "../domain/action-hash.js";
export { APPROVAL_PATH_PREFIX, createApprovalPageHandler, type ApprovalPageHandler } from "./approval-page.js";
export { ApprovalPageHost, startLoopbackApprovalServer, type LoopbackApprovalServer } from "./page-server.js";
export type * from "./types.js";
