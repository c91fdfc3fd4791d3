/**
 * The `operators` table: the named humans who may decide approval requests.
 * A passphrase is stored as the guard's scrypt hash (JSON, guard/passphrase.ts
 * makes and checks it; the store never sees a passphrase). `principal` maps a
 * requesting principal (an HTTP credential's identity, or 'local') to the
 * operator who runs that agent, so a policy can bar the requester's own human.
 */
import type { Tx } from "../sql.js";

export interface OperatorRow {
  name: string;
  passphrase: string | null;
  principal: string | null;
  created_at: string;
}

export function listOperators(tx: Tx): Promise<OperatorRow[]> {
  return tx.all<OperatorRow>("SELECT * FROM operators ORDER BY name");
}

export function getOperator(tx: Tx, name: string): Promise<OperatorRow | undefined> {
  return tx.get<OperatorRow>("SELECT * FROM operators WHERE name = ?", [name]);
}

export function operatorOfPrincipal(tx: Tx, principal: string): Promise<OperatorRow | undefined> {
  return tx.get<OperatorRow>("SELECT * FROM operators WHERE principal = ?", [principal]);
}

/** False when an operator of that name exists already. */
export async function addOperator(tx: Tx, operator: OperatorRow): Promise<boolean> {
  const result = await tx.run("INSERT INTO operators (name, passphrase, principal, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING", [
    operator.name,
    operator.passphrase,
    operator.principal,
    operator.created_at,
  ]);
  return result.changes === 1;
}

/** False when there was no such operator. Their past decisions stay, under their name. */
export async function removeOperator(tx: Tx, name: string): Promise<boolean> {
  return (await tx.run("DELETE FROM operators WHERE name = ?", [name])).changes === 1;
}

export async function setOperatorPassphrase(tx: Tx, name: string, passphrase: string): Promise<boolean> {
  return (await tx.run("UPDATE operators SET passphrase = ? WHERE name = ?", [passphrase, name])).changes === 1;
}
