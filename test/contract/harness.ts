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
import { openLocalRetivo } from "../../src/backend/local/open.js";
import type { InterventionsBackend } from "../../src/backend/types.js";
import { parseConfig } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { openStore, type Store } from "../../src/store/index.js";
import { createWriter } from "../../src/writer/index.js";

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

/**
 * LocalBackend serving the 'test' data set with simulated deliveries, as the
 * REST server does, on the store `storeEnv` names (RETIVO_DB or
 * RETIVO_DATABASE_URL). `onClose` releases what the caller made for it.
 */
export async function localContractHarness(storeEnv: (dir: string) => Record<string, string>, onClose = async () => {}): Promise<ContractHarness> {
  const dir = tempDir();
  const config = parseConfig([], { ...storeEnv(dir.path), RETIVO_LLM: "template", RETIVO_DATA_DIR: dir.path });
  const logger = silentLogger();
  const store = await openStore(config);
  const { backends, dispatcher } = await openLocalRetivo({
    store,
    tenants: ["test"],
    seed: config.seed,
    writer: createWriter(config.llm, logger),
    logger,
    outboxDir: join(dir.path, "outbox"),
    simulate: (t) => t === "test",
  });
  const backend = backends.get("test")!;
  return {
    backend,
    fixtures: await fixturesFrom(store, "test"),
    deliverDue: async () => {
      await dispatcher.runOnce();
    },
    optOut: async (userId) => {
      await store.catalog.setCustomerConsent("test", userId, { opted_out: true }, new Date());
    },
    async close() {
      await dispatcher.stop();
      await backend.close();
      await store.close();
      await onClose();
      dir.remove();
    },
  };
}
