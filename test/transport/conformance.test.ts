/**
 * The MCP conformance suite (@modelcontextprotocol/conformance 0.1.13, the
 * newest that runs on Node 20: 0.1.14 and later import fs.globSync, which
 * only Node 22 has) against the real server on 127.0.0.1. Every server
 * scenario the suite lists is either run here or named in NOT_APPLICABLE
 * with the reason, so a scenario added by a newer suite cannot be skipped
 * silently. The scenarios that do not apply call the reference server's own
 * fixtures (test_simple_text, test://static-text, test_simple_prompt, …),
 * which a real server does not have. resources-* and prompts-list run when
 * the server declares those capabilities, read from the server itself.
 */
import { execFile, execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpHarness, tempDir, type HttpHarness } from "./helpers.js";

const CONFORMANCE = resolve(import.meta.dirname, "../../node_modules/@modelcontextprotocol/conformance/dist/index.js");
const ALWAYS = ["server-initialize", "ping", "tools-list", "logging-set-level", "dns-rebinding-protection", "server-sse-multiple-streams"];
const WITH_RESOURCES = ["resources-list", "resources-subscribe", "resources-unsubscribe"];
const WITH_PROMPTS = ["prompts-list"];

const REFERENCE_TOOL = "calls a tool only the suite's reference server has";
/** Server scenarios of the suite that need the reference server's fixtures, and which ones. */
const NOT_APPLICABLE: Record<string, string> = {
  "completion-complete":
    "completes an argument of the reference prompt test_prompt_with_arguments; for a prompt it does not have, this server answers -32602 as the spec says (our completions are tested in resources.test.ts and prompts.test.ts)",
  "tools-call-simple-text": `${REFERENCE_TOOL} (test_simple_text)`,
  "tools-call-image": `${REFERENCE_TOOL} (test_image_content)`,
  "tools-call-audio": `${REFERENCE_TOOL} (test_audio_content)`,
  "tools-call-embedded-resource": `${REFERENCE_TOOL} (test_embedded_resource)`,
  "tools-call-mixed-content": `${REFERENCE_TOOL} (test_multiple_content_types)`,
  "tools-call-with-logging": `${REFERENCE_TOOL} (test_tool_with_logging)`,
  "tools-call-error": `${REFERENCE_TOOL} (test_error_handling)`,
  "tools-call-with-progress": `${REFERENCE_TOOL} (test_tool_with_progress)`,
  "tools-call-sampling": `${REFERENCE_TOOL} (test_sampling)`,
  "tools-call-elicitation": `${REFERENCE_TOOL} (test_elicitation)`,
  "elicitation-sep1034-defaults": `${REFERENCE_TOOL} (test_elicitation_sep1034_defaults)`,
  "elicitation-sep1330-enums": `${REFERENCE_TOOL} (test_elicitation_sep1330_enums)`,
  "json-schema-2020-12": `${REFERENCE_TOOL} in tools/list (json_schema_2020_12_tool)`,
  "server-sse-polling": `${REFERENCE_TOOL} (test_reconnection)`,
  "resources-read-text": "reads the reference resource test://static-text",
  "resources-read-binary": "reads the reference resource test://static-binary",
  "resources-templates-read": "reads the reference template test://template/{id}/data",
  "prompts-get-simple": "gets the reference prompt test_simple_prompt",
  "prompts-get-with-args": "gets the reference prompt test_prompt_with_arguments",
  "prompts-get-embedded-resource": "gets the reference prompt test_prompt_with_embedded_resource",
  "prompts-get-with-image": "gets the reference prompt test_prompt_with_image",
};

/** The server scenarios this version of the suite knows (`conformance list`). */
function listedServerScenarios(): string[] {
  const listing = execFileSync(process.execPath, [CONFORMANCE, "list"], { encoding: "utf8" });
  const server = listing.slice(0, listing.indexOf("Client scenarios"));
  return [...server.matchAll(/^\s+- (\S+)$/gm)].map((m) => m[1]!);
}

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

  it("accounts for every server scenario of the suite: run here, or not applicable with a reason", () => {
    const listed = listedServerScenarios();
    expect(listed.length).toBeGreaterThan(20);
    const run = new Set([...ALWAYS, ...WITH_RESOURCES, ...WITH_PROMPTS]);
    for (const scenario of listed) expect(run.has(scenario) || scenario in NOT_APPLICABLE, `${scenario} is neither run nor explained`).toBe(true);
    for (const scenario of [...run, ...Object.keys(NOT_APPLICABLE)]) expect(listed, `${scenario} is not in this suite`).toContain(scenario);
  });

  it("passes every scenario that applies to this server", async () => {
    const optional = [...(declared.resources ? WITH_RESOURCES : []), ...(declared.prompts ? WITH_PROMPTS : [])];
    // This server declares both; a build without them has nothing to list or subscribe to.
    expect(declared).toMatchObject({ resources: true, prompts: true });

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
