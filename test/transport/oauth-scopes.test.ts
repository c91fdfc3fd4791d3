/**
 * The scope each MCP message needs: the brief's table, checked for every
 * tool, so a new tool cannot slip in without one.
 */
import { describe, expect, it } from "vitest";
import { requiredScopesOf } from "../../src/transport/http/oauth/scopes.js";
import { TOOLS } from "../../src/tools/index.js";

const request = (method: string, params?: Record<string, unknown>) => ({ jsonrpc: "2.0" as const, id: 1, method, ...(params ? { params } : {}) });

describe("required scopes", () => {
  it("interventions:read for list, get and dry-run; interventions:write for every tool that changes something", () => {
    const byTool = Object.fromEntries(TOOLS.map((tool) => [tool.name, requiredScopesOf([request("tools/call", { name: tool.name, arguments: {} })])]));
    expect(byTool).toEqual({
      list_interventions: ["interventions:read"],
      get_intervention: ["interventions:read"],
      dry_run_intervention: ["interventions:read"],
      create_intervention: ["interventions:write"],
      approve_intervention: ["interventions:write"],
      pause_intervention: ["interventions:write"],
      reject_intervention: ["interventions:write"],
      flag_intervention: ["interventions:write"],
      rollback_intervention: ["interventions:write"],
    });
  });

  it("reading for listings, resources, prompts and unknown methods; nothing for the handshake, pings, notifications and answers", () => {
    for (const method of ["tools/list", "resources/list", "resources/read", "resources/subscribe", "prompts/get", "completion/complete", "something/new"]) {
      expect(requiredScopesOf([request(method)]), method).toEqual(["interventions:read"]);
    }
    expect(requiredScopesOf([request("tools/call", { name: "no_such_tool" })])).toEqual(["interventions:read"]);
    expect(requiredScopesOf([request("initialize"), request("ping"), request("logging/setLevel", { level: "info" })])).toEqual([]);
    expect(requiredScopesOf([{ jsonrpc: "2.0", method: "notifications/initialized" }, { jsonrpc: "2.0", id: 3, result: { action: "accept" } }])).toEqual([]);
  });

  it("the union over a batch", () => {
    expect(requiredScopesOf([request("tools/call", { name: "pause_intervention" }), request("tools/list")])).toEqual(["interventions:read", "interventions:write"]);
  });
});
