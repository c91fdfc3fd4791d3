/**
 * The MCP conformance suite (@modelcontextprotocol/conformance 0.1.12, the
 * newest that runs on Node 20) against the real server on 127.0.0.1. Only the
 * server scenarios that apply to any server: the others call test tools
 * (test_simple_text, …) that only the reference server has. resources-list
 * and prompts-list run when the server declares those capabilities, which is
 * read from the server itself rather than assumed.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpHarness, tempDir, type HttpHarness } from "./helpers.js";

const CONFORMANCE = resolve(import.meta.dirname, "../../node_modules/@modelcontextprotocol/conformance/dist/index.js");
const ALWAYS = ["server-initialize", "ping", "tools-list", "logging-set-level", "dns-rebinding-protection", "server-sse-multiple-streams"];

interface Check {
  id: string;
  status: "SUCCESS" | "FAILURE" | "WARNING" | "INFO" | "SKIPPED";
  errorMessage?: string;
}

interface ScenarioRun {
  code: number;
  output: string;
  checks: Check[];
}

function runScenario(url: string, scenario: string, outputDir: string): Promise<ScenarioRun> {
  const dir = join(outputDir, scenario);
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CONFORMANCE, "server", "--url", url, "--scenario", scenario, "--output-dir", dir],
      { timeout: 60_000, cwd: outputDir },
      (error, stdout, stderr) => {
        const runs = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory());
        const checks = runs.flatMap((run) => JSON.parse(readFileSync(join(dir, run.name, "checks.json"), "utf8")) as Check[]);
        done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}`, checks });
      },
    );
  });
}

describe("MCP conformance (server scenarios)", () => {
  let h: HttpHarness;
  let out: ReturnType<typeof tempDir>;
  let declared: { resources: boolean; prompts: boolean; logging: boolean };

  beforeAll(async () => {
    h = await startHttpHarness();
    out = tempDir();
    const probe = await h.connect();
    const capabilities = probe.client.getServerCapabilities() ?? {};
    declared = { resources: !!capabilities.resources, prompts: !!capabilities.prompts, logging: !!capabilities.logging };
    await probe.transport.terminateSession();
  });
  afterAll(async () => {
    await h?.close();
    out?.remove();
  });

  it("declares logging, so logging-set-level applies", () => {
    expect(declared.logging).toBe(true);
  });

  it("passes every scenario that applies to this server", async () => {
    const optional = [
      ...(declared.resources ? ["resources-list"] : []),
      ...(declared.prompts ? ["prompts-list"] : []),
    ];
    // Skipped only when the capability is absent: a server that offers none has nothing to list.
    const skipped = [!declared.resources && "resources-list (no resources capability)", !declared.prompts && "prompts-list (no prompts capability)"].filter(Boolean);
    if (skipped.length > 0) console.warn(`conformance: skipped ${skipped.join(", ")}`);

    const scenarios = [...ALWAYS, ...optional];
    const runs = await Promise.all(scenarios.map((scenario) => runScenario(h.url, scenario, out.dir)));
    for (const [i, run] of runs.entries()) {
      const scenario = scenarios[i]!;
      const failures = run.checks.filter((c) => c.status === "FAILURE");
      expect(failures, `${scenario}:\n${run.output}`).toEqual([]);
      expect(run.checks.filter((c) => c.status === "SUCCESS").length, `${scenario} ran no check:\n${run.output}`).toBeGreaterThan(0);
      expect(run.code, `${scenario}:\n${run.output}`).toBe(0);
    }
  }, 120_000);
});
