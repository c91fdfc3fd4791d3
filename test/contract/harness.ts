/**
 * What the shared contract cases need from a backend under test: the backend,
 * ids that exist in its data set, and a way to run the dispatcher once (the
 * only way an intervention reaches `delivered`).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Channel } from "../../src/api/schemas.js";
import { CHANNELS } from "../../src/api/schemas.js";
import type { InterventionsBackend } from "../../src/backend/types.js";
import type { Store } from "../../src/store/index.js";

export interface ContractFixtures {
  /** A customer who can receive messages (not opted out, not paused). */
  userId: string;
  /** Another such customer, for cases that take their consent away. */
  spareUserId: string;
  /** An active playbook, and a channel it allows and one it does not. */
  playbookId: string;
  channel: Channel;
  disallowedChannel: Channel | undefined;
}

export interface ContractHarness {
  backend: InterventionsBackend;
  fixtures: ContractFixtures;
  /** Runs the dispatcher once: approved interventions that are due are sent and (simulated) delivered. */
  deliverDue(): Promise<void>;
  /** The product reports that this user opted out (as the store records it: consent.ts). */
  optOut(userId: string): Promise<void>;
  close(): Promise<void>;
}

export async function fixturesFrom(store: Store, tenantId: string): Promise<ContractFixtures> {
  const deliverable: string[] = [];
  for (const id of await store.catalog.searchCustomerIds(tenantId, "", 500)) {
    const customer = (await store.catalog.customer(tenantId, id))!;
    if (!customer.opted_out && !customer.paused) deliverable.push(id);
  }
  const [userId, spareUserId] = deliverable;
  const active = await store.catalog.playbooks(tenantId, true);
  const playbook = active.find((p) => p.constraints.channels.length < CHANNELS.length) ?? active[0];
  if (!userId || !spareUserId || !playbook) throw new Error(`the seeded '${tenantId}' data set has no deliverable customer or active playbook`);
  return {
    userId,
    spareUserId,
    playbookId: playbook.id,
    channel: playbook.constraints.channels[0]!,
    disallowedChannel: CHANNELS.find((c) => !playbook.constraints.channels.includes(c)),
  };
}

/** A fresh directory for one harness's SQLite file and outbox; removed on cleanup. */
export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), "retivo-contract-"));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
