/**
 * Cold start: spawn → initialize result, the servers interleaved round by
 * round so that a noisy moment hits all of them alike. Idle RSS is read from
 * the same processes shortly after they answered.
 */
import { memoryOf } from "./lib/proc.js";
import { median, round } from "./lib/stats.js";
import { spawnStdio, type ServerCommand } from "./lib/stdio-client.js";

export interface ColdStart {
  label: string;
  samplesMs: number[];
  medianMs: number;
  idleRssMb: number;
}

const SETTLE_MS = 500;

export async function measureColdStarts(commands: readonly ServerCommand[], rounds: number): Promise<ColdStart[]> {
  const samples = new Map<string, number[]>(commands.map((c) => [c.label, []]));
  const rss = new Map<string, number[]>(commands.map((c) => [c.label, []]));
  for (let r = 0; r < rounds; r++) {
    for (const command of commands) {
      const session = await spawnStdio(command);
      try {
        samples.get(command.label)!.push(session.coldStartMs);
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        rss.get(command.label)!.push(memoryOf(session.pid).rssMb);
      } finally {
        await session.close();
      }
    }
  }
  return commands.map((c) => ({
    label: c.label,
    samplesMs: samples.get(c.label)!.map((v) => round(v, 1)),
    medianMs: round(median(samples.get(c.label)!), 1),
    idleRssMb: round(median(rss.get(c.label)!), 1),
  }));
}
