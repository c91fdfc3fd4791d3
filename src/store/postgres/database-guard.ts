/**
 * The database's own guard on a PostgreSQL store (migration 10): the
 * operator passphrase checked inside the database against a hash the
 * server's role cannot read, and the one path by which that role can record
 * an approval (and so make a request approved once its quorum is in). Each call is one statement: one round trip, one
 * transaction.
 */
import { canonicalJson } from "../../canonical.js";
import type { DatabaseGuardPort, DatabaseApproval } from "../port.js";
import type { Engine } from "../sql.js";

const OUTCOMES = new Set<DatabaseApproval>(["approved", "counted", "repeated", "excluded", "not_open", "no_passphrase", "wrong_passphrase"]);

export function databaseGuardOver(engine: Engine): DatabaseGuardPort {
  return {
    async passphraseSet(operator) {
      return (await engine.read((tx) => tx.get<{ set: boolean }>("SELECT retivo_passphrase_set(?) AS set", [operator])))?.set === true;
    },
    async check(operator, passphrase) {
      return (await engine.read((tx) => tx.get<{ ok: boolean }>("SELECT retivo_check_passphrase(?, ?) AS ok", [operator, passphrase])))?.ok === true;
    },
    async approve(id, operator, passphrase, answer, audit) {
      const row = await engine.write((tx) =>
        tx.get<{ outcome: string }>("SELECT retivo_decide_approval(?, ?, ?, ?, ?, ?, ?, ?, ?, ?) AS outcome", [
          id,
          operator,
          passphrase,
          answer.by,
          answer.answer,
          answer.note,
          answer.now.toISOString(),
          answer.channel,
          audit.actor,
          canonicalJson(audit.detail ?? {}),
        ]),
      );
      const outcome = row?.outcome as DatabaseApproval | undefined;
      if (!outcome || !OUTCOMES.has(outcome)) throw new Error(`retivo_decide_approval answered '${row?.outcome}'`);
      return outcome;
    },
    async setPassphrase(operator, current, next, now) {
      return (
        (await engine.write((tx) => tx.get<{ set: boolean }>("SELECT retivo_set_passphrase(?, ?, ?, ?) AS set", [operator, current, next, now.toISOString()])))?.set === true
      );
    },
  };
}
