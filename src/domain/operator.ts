/**
 * The operator: the human whose passphrase releases guarded actions. Until
 * named operators exist there is one, anonymous; the database's own guard
 * (PostgreSQL) already keys its passphrase by operator, so more can follow
 * without a change of its functions.
 */
export const DEFAULT_OPERATOR = "default";
