/**
 * `npm run bench -- reliability`: the long fault campaigns, outside the test
 * suite (which runs short versions of each). Prints, and writes to
 * bench/results/reliability.json, the three counts that must stay at 0 —
 * duplicate effects, lost acknowledged writes, wedged transports — and what
 * each campaign did to earn them. Loopback only; every child is killed on the
 * way out. `--quick` runs a tenth of each campaign.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startWebhookReceiver } from "../test/support/webhook-receiver.js";
import { CAMPAIGN_SECRET, gracefulCampaign, killCampaign, type CampaignCounts } from "../test/reliability/support/webhook-campaign.js";
import { ROOT, tempDir } from "./lib/fixture.js";
import { lostCreates, type CreateCounts } from "./reliability/creates.js";
import { abandonedSessions, stdioOversized, type SessionCounts, type StdioCounts } from "./reliability/transports.js";

const log = (line: string) => process.stdout.write(`${line}\n`);

interface Results {
  date: string;
  kill9: CampaignCounts;
  gracefulStdin: CampaignCounts;
  gracefulSigterm: CampaignCounts;
  sessionsSequential: SessionCounts;
  sessionsParallel: SessionCounts;
  stdio: StdioCounts;
  creates: CreateCounts[];
  totals: { duplicateEffects: number; lostAcknowledgedWrites: number; wedgedTransports: number };
  durationSec: number;
}

async function webhookCampaigns(scale: number): Promise<Pick<Results, "kill9" | "gracefulStdin" | "gracefulSigterm">> {
  const receiver = await startWebhookReceiver(CAMPAIGN_SECRET);
  const fresh = () => {
    receiver.posts.length = 0;
    receiver.effects.length = 0;
    return tempDir("campaign");
  };
  try {
    let store = fresh();
    const killRounds = Math.max(3, Math.round(200 * scale));
    log(`kill -9 with webhook POSTs in flight: ${killRounds} rounds …`);
    const kill9 = await killCampaign(store.dir, receiver, {
      rounds: killRounds,
      perRound: 3,
      finishTimeoutMs: 120_000,
      onRound: (round) => round % 20 === 0 && log(`  ${round}/${killRounds}`),
    });
    store.dispose();
    const gracefulRounds = Math.max(2, Math.round(20 * scale));
    store = fresh();
    log(`graceful stops (stdin EOF) with a POST in flight: ${gracefulRounds} rounds …`);
    const gracefulStdin = await gracefulCampaign(store.dir, receiver, { rounds: gracefulRounds, how: "stdin" });
    store.dispose();
    store = fresh();
    log(`graceful stops (SIGTERM) with a POST in flight: ${gracefulRounds} rounds …`);
    const gracefulSigterm = await gracefulCampaign(store.dir, receiver, { rounds: gracefulRounds, how: "sigterm" });
    store.dispose();
    return { kill9, gracefulStdin, gracefulSigterm };
  } finally {
    await receiver.close();
  }
}

function table(rows: Record<string, unknown>[]): string[] {
  const keys = Object.keys(rows[0] ?? {});
  return [`| ${keys.join(" | ")} |`, `|${keys.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${keys.map((k) => String(row[k])).join(" | ")} |`)];
}

export async function runReliability(argv: readonly string[]): Promise<void> {
  const began = performance.now();
  const scale = argv.includes("--quick") ? 0.1 : 1;
  const webhooks = await webhookCampaigns(scale);
  const sessionClients = Math.max(20, Math.round(200 * scale));
  log(`${sessionClients} HTTP clients that never DELETE, one after another …`);
  const sessionsSequential = await abandonedSessions(sessionClients, 1);
  log(`${sessionClients} HTTP clients that never DELETE, 16 at a time …`);
  const sessionsParallel = await abandonedSessions(sessionClients, 16);
  const stdioRounds = Math.max(3, Math.round(20 * scale));
  log(`stdio: a non-JSON line, then an 11 MiB message: ${stdioRounds} rounds …`);
  const stdio = await stdioOversized(stdioRounds);
  const meant = Math.max(10, Math.round(100 * scale));
  log(`API mode: ${meant} creates, every other answer lost, retried as the error says …`);
  const creates = [await lostCreates(meant, false), await lostCreates(meant, true)];

  const campaigns = [webhooks.kill9, webhooks.gracefulStdin, webhooks.gracefulSigterm];
  const totals = {
    duplicateEffects: campaigns.reduce((n, c) => n + c.duplicateEffects + c.deliveriesWithTwoIds, 0) + creates.reduce((n, c) => n + c.duplicates, 0),
    lostAcknowledgedWrites: campaigns.reduce((n, c) => n + c.lostAcknowledged, 0),
    wedgedTransports: campaigns.reduce((n, c) => n + c.wedged, 0) + sessionsSequential.wedged + sessionsParallel.wedged + stdio.wedged,
  };
  const results: Results = { date: new Date().toISOString(), ...webhooks, sessionsSequential, sessionsParallel, stdio, creates, totals, durationSec: Math.round((performance.now() - began) / 1000) };
  writeFileSync(join(ROOT, "bench", "results", "reliability.json"), `${JSON.stringify(results, null, 2)}\n`);

  log("");
  log("## Webhook campaigns (receiver dedupes by delivery id)");
  log(table(campaigns.map((c, i) => ({ campaign: ["kill -9", "stdin EOF", "SIGTERM"][i], ...c }))).join("\n"));
  log("");
  log("## HTTP sessions never DELETEd (default cap 64)");
  log(table([{ run: "one after another", ...sessionsSequential }, { run: "16 at a time", ...sessionsParallel }]).join("\n"));
  log("");
  log("## stdio");
  log(table([{ ...stdio }]).join("\n"));
  log("");
  log("## API-mode creates with lost answers");
  log(table(creates.map((c) => ({ ...c }))).join("\n"));
  log("");
  log(`duplicate effects: ${totals.duplicateEffects} (target 0)`);
  log(`lost acknowledged writes: ${totals.lostAcknowledgedWrites} (target 0)`);
  log(`wedged transports: ${totals.wedgedTransports} (target 0)`);
  log(`(${results.durationSec} s)`);
  if (Object.values(totals).some((n) => n !== 0)) process.exitCode = 1;
}
