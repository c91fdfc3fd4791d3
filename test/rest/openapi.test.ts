/**
 * The OpenAPI document: valid OpenAPI 3.1 (checked by a validator of the
 * official schema, by swagger-parser and by Redocly's linter with its
 * recommended rules, the tools a user points at it), served without a key,
 * and naming every field of the contract. The field list below is copied from spec/interventions-api.md on
 * purpose: the document is generated from our zod schemas, so checking it
 * against those schemas would prove nothing about the contract.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildOpenApiDocument } from "../../src/rest/openapi.js";
import { startTestServer, type TestServer } from "./support.js";

const CONTRACT = {
  Intervention: [
    "id", "user_id", "playbook_id", "status", "channel", "message_body", "reasoning", "confidence",
    "planned_at", "approved_at", "sent_at", "delivered_at", "flagged", "flag_reason", "quality_checks",
  ],
  ListResponse: ["interventions"],
  CreateRequest: ["user_id", "playbook_id", "channel"],
  CreateResponse: ["id", "status", "channel", "planned_at"],
  StatusResponse: ["id", "status"],
  RejectRequest: ["reason"],
  RollbackRequest: ["reason"],
  FlagRequest: ["reason"],
  FlagResponse: ["id", "flagged"],
  DryRunRequest: ["user_id"],
  DryRunResponse: ["dry_run", "decision", "rules", "context"],
  Error: ["error", "current", "limit", "upgrade_to"],
} as const;
const DRY_RUN_DECISION = ["action", "playbook_id", "channel", "confidence", "reasoning", "reason"];
const DRY_RUN_CONTEXT = ["lifecycle_stage", "activation_score", "risk_level", "matched_playbooks"];

type Schema = { properties?: Record<string, Schema>; required?: string[]; type?: unknown };
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- walking a JSON document
const doc = buildOpenApiDocument() as any;
const schemas = doc.components.schemas as Record<string, Schema>;

const REDOCLY = resolve(import.meta.dirname, "../../node_modules/@redocly/cli/bin/cli.js");
const scratch = mkdtempSync(join(tmpdir(), "retivo-openapi-"));

interface LintReport {
  totals: { errors: number; warnings: number };
  problems: { ruleId: string; severity: string; message: string }[];
}

/** `redocly lint --extends recommended` on a document, offline (no telemetry, no update check). */
function redoclyLint(document: unknown, name: string): Promise<LintReport> {
  const file = join(scratch, `${name}.json`);
  writeFileSync(file, JSON.stringify(document, null, 2));
  const env = { PATH: process.env.PATH, HOME: scratch, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_UPDATE_NOTIFIER: "1" };
  return new Promise((done, fail) => {
    execFile(process.execPath, [REDOCLY, "lint", file, "--extends", "recommended", "--format", "json"], { env, cwd: scratch, timeout: 60_000 }, (error, stdout, stderr) => {
      try {
        done(JSON.parse(stdout) as LintReport);
      } catch {
        fail(new Error(`redocly printed no report (${error?.message ?? "exit 0"}):\n${stdout}\n${stderr}`));
      }
    });
  });
}

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe("OpenAPI document", () => {
  it("validates as OpenAPI 3.1", async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
  });

  it("passes swagger-parser validate", async () => {
    const api = await SwaggerParser.validate(structuredClone(doc));
    expect(api.info.title).toBe(doc.info.title);
    // The same validator refuses a broken document, so the pass above means something.
    const broken = structuredClone(doc);
    broken.paths["/api/interventions"].get.parameters[0].in = "nowhere";
    await expect(SwaggerParser.validate(broken)).rejects.toThrow(/must be equal to one of the allowed values/);
  });

  it("passes redocly lint with the recommended rules: 0 errors, with servers and a license", { timeout: 60_000 }, async () => {
    expect(doc.servers).toEqual([{ url: "/", description: expect.any(String) }]);
    expect(doc.info.license).toEqual({ name: "MIT", identifier: "MIT" });
    const [report, withoutServers] = await Promise.all([
      redoclyLint(doc, "served"),
      redoclyLint({ ...doc, servers: undefined }, "without-servers"),
    ]);
    expect(report.problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(report.totals.errors).toBe(0);
    // Without `servers` the recommended rules report an error: the lint really runs them.
    expect(withoutServers.problems.map((p) => p.ruleId)).toContain("no-empty-servers");
  });

  it("is served at /api/openapi.json without a key", async () => {
    const response = await t.call("GET", "/api/openapi.json", { key: null });
    expect(response.status).toBe(200);
    expect(response.body).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it.each(Object.entries(CONTRACT))("names every contract field of %s", (name, fields) => {
    expect(Object.keys(schemas[name]!.properties!)).toEqual(expect.arrayContaining([...fields]));
  });

  it("names the nested dry-run fields", () => {
    const properties = schemas.DryRunResponse!.properties!;
    expect(Object.keys(properties.decision!.properties!)).toEqual(expect.arrayContaining(DRY_RUN_DECISION));
    expect(Object.keys(properties.context!.properties!)).toEqual(expect.arrayContaining(DRY_RUN_CONTEXT));
  });

  it("requires what the contract requires", () => {
    expect(schemas.RejectRequest!.required).toEqual(["reason"]);
    expect(schemas.RollbackRequest!.required ?? []).toEqual([]);
    expect(schemas.CreateRequest!.required?.sort()).toEqual(["channel", "playbook_id", "user_id"]);
  });

  it("has the eight operations on their contract paths, with bearer security", () => {
    const operations = [
      ["/api/interventions", "get"],
      ["/api/interventions", "post"],
      ["/api/interventions/{id}/approve", "put"],
      ["/api/interventions/{id}/pause", "put"],
      ["/api/interventions/{id}/reject", "put"],
      ["/api/interventions/{id}/rollback", "put"],
      ["/api/interventions/{id}/flag", "put"],
      ["/api/interventions/dry-run", "post"],
    ];
    for (const [path, method] of operations) expect(doc.paths[path!]?.[method!], `${method} ${path}`).toBeDefined();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    const limit = doc.paths["/api/interventions"].get.parameters[0];
    expect(limit).toMatchObject({ name: "limit", in: "query", schema: { type: "string" } });
  });

  it("resolves every $ref", () => {
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(10);
    for (const ref of refs) expect(schemas[ref.split("/").pop()!.replace('"', "")], ref).toBeDefined();
  });
});
