/**
 * parseConfig's strictness: a flag that a command does not read is refused
 * with a ConfigError that says where it applies, instead of being ignored; the
 * combinations that mean something still parse. And every environment
 * variable parseConfig reads is documented in README.md's configuration table.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../src/config.js";
import { ConfigError } from "../src/errors.js";

const ENV = { RETIVO_DB: ":memory:", HOME: "/nonexistent" };
const parse = (...argv: string[]) => parseConfig(argv, ENV);

function refusal(argv: string[], env: Record<string, string> = ENV): ConfigError {
  try {
    parseConfig(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`parseConfig(${JSON.stringify(argv)}) did not throw`);
}

describe("flags that a command does not use are refused", () => {
  it("--host and --port on stdio serve: they apply to 'serve --http' and 'api'", () => {
    for (const argv of [["serve", "--host", "127.0.0.1"], ["serve", "--port", "9000"], ["--port", "9000"], ["serve", "--stdio", "--port", "1"]]) {
      expect(refusal(argv).message, argv.join(" ")).toMatch(/applies to 'serve --http' and 'api'/);
    }
  });

  it("--http and --stdio together contradict each other", () => {
    expect(refusal(["serve", "--http", "--stdio"]).message).toMatch(/--http and --stdio/);
  });

  it("transport flags on commands other than serve", () => {
    const http = refusal(["api", "--http"]);
    expect(http.message).toMatch(/--http does not apply to 'api'/);
    expect(http.message).toMatch(/transport flags apply to 'serve' only/);
    expect(refusal(["api", "--stdio"]).message).toMatch(/--stdio does not apply to 'api'/);
    expect(refusal(["seed", "--http"]).message).toMatch(/--http does not apply to 'seed'/);
  });

  it("--host/--port on commands that listen on nothing", () => {
    for (const command of ["seed", "approvals", "audit"]) {
      const error = refusal([command, "--port", "9000"]);
      expect(error.message).toMatch(new RegExp(`--port does not apply to '${command}'`));
      expect(error.message).toMatch(/--host and --port apply to 'serve --http' and 'api'/);
    }
  });

  it("server-only flags on the CLI commands and the REST server", () => {
    expect(refusal(["api", "--read-only"]).message).toMatch(/--read-only does not apply to 'api'/);
    expect(refusal(["api", "--tools", "get_intervention"]).message).toMatch(/--tools does not apply to 'api'/);
    expect(refusal(["api", "--approval", "deny"]).message).toMatch(/--approval does not apply to 'api'/);
    expect(refusal(["approvals", "list", "--llm", "template"]).message).toMatch(/--llm does not apply to 'approvals'/);
    expect(refusal(["audit", "--seed", "7"]).message).toMatch(/--seed does not apply to 'audit'/);
    const two = refusal(["seed", "--read-only", "--approval", "deny"]);
    expect(two.message).toMatch(/--approval, --read-only do not apply to 'seed'|--read-only, --approval do not apply to 'seed'/);
    expect(two.message).toMatch(/'seed' takes: --db, --seed, --log-level/);
  });
});

describe("meaningful combinations still parse", () => {
  it("serve: stdio by default, --http with an address, RETIVO_HTTP with an address", () => {
    expect(parse().transport).toBe("stdio");
    expect(parse("serve").transport).toBe("stdio");
    expect(parse("serve", "--stdio").transport).toBe("stdio");
    const http = parse("serve", "--http", "--host", "::1", "--port", "9000");
    expect(http.transport).toBe("http");
    expect(http.http).toMatchObject({ host: "::1", port: 9000 });
    const viaEnv = parseConfig(["serve", "--port", "9001"], { ...ENV, RETIVO_HTTP: "1" });
    expect(viaEnv.transport).toBe("http");
    expect(viaEnv.http.port).toBe(9001);
    // --stdio wins over RETIVO_HTTP (flags win over the environment).
    expect(parseConfig(["serve", "--stdio"], { ...ENV, RETIVO_HTTP: "1" }).transport).toBe("stdio");
    expect(parse("serve", "--db", "x.db", "--seed", "7", "--llm", "template", "--approval", "deny", "--read-only", "--tools", "get_intervention", "--log-level", "warn")).toMatchObject({
      dbPath: "x.db",
      seed: 7,
      readOnly: true,
      tools: ["get_intervention"],
      logLevel: "warn",
    });
  });

  it("an address in the environment never makes stdio fail (env is shared by every command)", () => {
    const config = parseConfig(["serve"], { ...ENV, RETIVO_MCP_HOST: "0.0.0.0", RETIVO_MCP_PORT: "9000" });
    expect(config.transport).toBe("stdio");
  });

  it("api, seed, approvals, audit, help and version with their own flags", () => {
    expect(parse("api", "--host", "127.0.0.1", "--port", "0", "--seed", "3", "--llm", "template").restServer).toMatchObject({ host: "127.0.0.1", port: 0 });
    expect(parse("seed", "--seed", "5", "--db", "s.db").seed).toBe(5);
    expect(parse("approvals", "approve", "apr_1", "--db", "a.db").args).toEqual(["approve", "apr_1"]);
    expect(parse("audit", "verify", "--log-level", "silent").command).toBe("audit");
    expect(parse("help", "--http").command).toBe("help");
    expect(parse("--help").command).toBe("help");
    expect(parse("--version").command).toBe("version");
  });

  it("a blank RETIVO_DATA_DIR or RETIVO_DB (what a client's config form sends for an empty field) means the default", () => {
    const defaults = parseConfig(["serve"], { HOME: "/home/me" });
    const blank = parseConfig(["serve"], { HOME: "/home/me", RETIVO_DATA_DIR: "", RETIVO_DB: " " });
    expect(blank.dataDir).toBe(defaults.dataDir);
    expect(blank.dbPath).toBe(defaults.dbPath);
    expect(parseConfig(["serve"], { HOME: "/home/me", RETIVO_DATA_DIR: "/data" }).dbPath).toBe("/data/retivo.db");
  });

  it("loopback binds need no token; a look-alike name is not loopback", () => {
    for (const host of ["127.0.0.1", "127.0.0.2", "localhost", "::1"]) {
      expect(parse("serve", "--http", "--host", host).http.host).toBe(host);
    }
    expect(refusal(["serve", "--http", "--host", "127.0.0.1.evil.com"]).message).toMatch(/without a token/);
  });
});

describe("README documents every environment variable parseConfig reads", () => {
  it("lists each one in the configuration table", () => {
    const source = readFileSync(resolve(import.meta.dirname, "../src/config.ts"), "utf8");
    const read = new Set([...source.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!));
    // Platform variables only locate the default data folder; RETIVO_DATA_DIR's row covers them.
    for (const platformVar of ["HOME", "USERPROFILE", "APPDATA"]) read.delete(platformVar);
    expect(read.size).toBeGreaterThan(20);
    const readme = readFileSync(resolve(import.meta.dirname, "../README.md"), "utf8");
    const table = readme
      .split("\n")
      .filter((line) => line.startsWith("|"))
      .join("\n");
    const missing = [...read].filter((name) => !table.includes(`\`${name}\``) && !table.includes(`\`${name}=`));
    expect(missing).toEqual([]);
  });
});

describe("webhook endpoint", () => {
  it("takes RETIVO_WEBHOOK_URL and RETIVO_WEBHOOK_SECRET together, or neither", () => {
    expect(parseConfig([], {}).webhook).toBeUndefined();
    expect(parseConfig([], { RETIVO_WEBHOOK_URL: "https://hooks.example.com/retivo", RETIVO_WEBHOOK_SECRET: "s".repeat(16) }).webhook).toEqual({
      url: "https://hooks.example.com/retivo",
      secret: "s".repeat(16),
    });
    expect(() => parseConfig([], { RETIVO_WEBHOOK_URL: "https://hooks.example.com/retivo" })).toThrow(/together/);
    expect(() => parseConfig([], { RETIVO_WEBHOOK_URL: "ftp://x", RETIVO_WEBHOOK_SECRET: "s".repeat(16) })).toThrow(/http/);
    expect(() => parseConfig([], { RETIVO_WEBHOOK_URL: "https://x.example", RETIVO_WEBHOOK_SECRET: "short" })).toThrow(/16/);
  });
});

describe("webhook endpoint: which commands read it, and the secret as given", () => {
  const BAD = { RETIVO_WEBHOOK_URL: "ftp://not-http", RETIVO_WEBHOOK_SECRET: "s".repeat(16) };
  const GOOD = { RETIVO_WEBHOOK_URL: "https://hooks.example.com/retivo", RETIVO_WEBHOOK_SECRET: "s".repeat(16) };

  it("is validated and applied only for serve and api", () => {
    expect(() => parseConfig(["serve"], BAD)).toThrow(ConfigError);
    expect(() => parseConfig(["api"], BAD)).toThrow(ConfigError);
    expect(parseConfig(["api"], GOOD).webhook).toEqual({ url: GOOD.RETIVO_WEBHOOK_URL, secret: GOOD.RETIVO_WEBHOOK_SECRET });
  });

  it("never blocks help, version, approvals, audit or seed, which do not use it", () => {
    for (const argv of [["help"], ["--help"], ["version"], ["approvals"], ["approvals", "list"], ["audit"], ["seed"]]) {
      expect(() => parseConfig(argv, BAD), argv.join(" ")).not.toThrow();
      expect(parseConfig(argv, GOOD).webhook, argv.join(" ")).toBeUndefined();
      expect(parseConfig(argv, { RETIVO_WEBHOOK_URL: GOOD.RETIVO_WEBHOOK_URL }).webhook, argv.join(" ")).toBeUndefined();
    }
  });

  it("refuses a secret with leading or trailing whitespace instead of trimming it into another key", () => {
    for (const secret of [` ${"s".repeat(16)}`, `${"s".repeat(16)}\n`, `\t${"s".repeat(16)} `]) {
      expect(() => parseConfig(["serve"], { ...GOOD, RETIVO_WEBHOOK_SECRET: secret })).toThrow(/RETIVO_WEBHOOK_SECRET.*whitespace/);
      expect(() => parseConfig(["api"], { ...GOOD, RETIVO_WEBHOOK_SECRET: secret })).toThrow(ConfigError);
    }
    // Whitespace inside the secret is part of the key, kept as given.
    expect(parseConfig(["serve"], { ...GOOD, RETIVO_WEBHOOK_SECRET: "abcd efgh ijkl mnop" }).webhook?.secret).toBe("abcd efgh ijkl mnop");
  });
});
