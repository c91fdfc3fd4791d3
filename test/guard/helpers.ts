/**
 * Helpers for the guard tests: reading the audit log and approvals straight
 * from the store, scripting the human at a real pseudo-terminal (util-linux
 * `script`) in front of the built CLI, and using the approval page over HTTP.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { join, resolve } from "node:path";
import type { ElicitRequest, ElicitResult } from "@modelcontextprotocol/sdk/types.js";
import type { Runtime } from "../../src/runtime.js";
import { dbOf } from "../support/sqlite.js";

export const CLI = resolve(import.meta.dirname, "../../dist/cli.js");

export function requireBuiltCli(): void {
  if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run `npm run build` before the guard tests.");
}

export interface AuditEntry {
  seq: number;
  event: string;
  actor: string;
  intervention_id: string | null;
  detail: Record<string, unknown>;
}

export function auditOf(runtime: Runtime, interventionId: string): AuditEntry[] {
  const rows = dbOf(runtime)
    .prepare("SELECT seq, event, actor, intervention_id, detail FROM audit_log WHERE intervention_id = ? ORDER BY seq")
    .all(interventionId) as Array<Omit<AuditEntry, "detail"> & { detail: string }>;
  return rows.map((row) => ({ ...row, detail: JSON.parse(row.detail) as Record<string, unknown> }));
}

export function events(runtime: Runtime, interventionId: string): string[] {
  return auditOf(runtime, interventionId).map((entry) => entry.event);
}

export function approvalRows(runtime: Runtime, interventionId: string): Array<{ id: string; status: string; executed_at: string | null; channel: string; principal: string; outcome: string | null }> {
  return dbOf(runtime).prepare("SELECT * FROM approvals WHERE intervention_id = ? ORDER BY created_at").all(interventionId) as never;
}

/** The form answers of a scripted human. */
export const decline = (): ElicitResult => ({ action: "decline" });
export const cancel = (): ElicitResult => ({ action: "cancel" });
export const acceptWithout = (): ElicitResult => ({ action: "accept", content: { confirm: false } });
export const acceptConfirmed = (request: ElicitRequest): ElicitResult => {
  const properties = (request.params as { requestedSchema?: { properties?: Record<string, unknown> } }).requestedSchema?.properties ?? {};
  const content: Record<string, boolean | string> = { confirm: true, note: "looks right" };
  if ("acknowledge_flag" in properties) content.acknowledge_flag = true;
  return { action: "accept", content };
};

export interface PtyStep {
  /** Wait until the output since the previous step matches this. */
  expect: RegExp;
  send: string;
}

/**
 * Runs `node dist/cli.js <args>` on a real pseudo-terminal and types `steps`
 * into it; `size` sets the terminal's columns and rows (as a human's window).
 */
export function runCliInPty(
  args: string,
  env: Record<string, string>,
  steps: PtyStep[] = [],
  timeoutMs = 20_000,
  size?: { cols: number; rows: number },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const stty = size ? `stty cols ${size.cols} rows ${size.rows}; ` : "";
    const child = spawn("script", ["-qfec", `${stty}exec ${process.execPath} ${CLI} ${args}`, "/dev/null"], {
      env: { PATH: process.env.PATH ?? "", TERM: "dumb", ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let output = "";
    let from = 0;
    let step = 0;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`CLI timed out at step ${step}; output so far:\n${output}`));
    }, timeoutMs);
    const advance = () => {
      while (step < steps.length) {
        const pending = steps[step]!;
        const match = pending.expect.exec(output.slice(from));
        if (!match) return;
        from += match.index + match[0].length;
        child.stdin.write(pending.send);
        step++;
      }
    };
    const collect = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      advance();
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, output });
    });
  });
}

/** Runs the built CLI with plain pipes (not a terminal). */
export function runCliPiped(args: string[], env: Record<string, string>, input = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

export function cliEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { RETIVO_DB: join(dir, "retivo.db"), RETIVO_DATA_DIR: dir, RETIVO_LLM: "template", HOME: dir, LOG_LEVEL: "silent", ...extra };
}

/** The hidden fields an approval page's forms carry, as a browser posts them back ("" where absent). */
export function pageFields(html: string): { token: string; csrf: string } {
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? "";
  return { token: field("token"), csrf: field("csrf") };
}

/** Loads the approval page and returns the hidden fields it carries. */
export async function openPage(url: string): Promise<{ status: number; html: string; token: string; csrf: string }> {
  const response = await fetch(url);
  const html = await response.text();
  return { status: response.status, html, ...pageFields(html) };
}

/** POSTs a form with node:http, which (unlike fetch) sends Host and Origin exactly as given. */
export function postPage(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; html: string }> {
  const target = new URL(url);
  const body = new URLSearchParams(fields).toString();
  return new Promise((resolvePromise, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body), ...headers } },
      (res) => {
        let html = "";
        res.on("data", (c: Buffer) => (html += c.toString()));
        res.on("end", () => resolvePromise({ status: res.statusCode ?? 0, html }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
