/**
 * What the guard tells, recorded for in-process guard tests: every notice a
 * sink is sent, and every line a logger writes (parsed pino JSON).
 */
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";
import type { ApprovalNotice, NoticeSink } from "../../src/guard/notices.js";

export function recordingSink(name = "recording"): NoticeSink & { sent: ApprovalNotice[] } {
  const sent: ApprovalNotice[] = [];
  return { name, sent, send: async (notice) => void sent.push(notice) };
}

export function recordingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: "info" }, stream), lines };
}
