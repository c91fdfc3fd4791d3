/**
 * The PostgreSQL store's settings: pool size and statement timeout, checked
 * when the configuration is read, with the defaults the README states.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";
import { locationOf } from "../../src/store/postgres/index.js";

const URL = "postgres://retivo:secret@db.internal:5432/retivo";

describe("PostgreSQL settings", () => {
  it("defaults to a pool of 10 and a 30 s statement timeout", () => {
    const config = parseConfig([], { RETIVO_DATABASE_URL: URL });
    expect([config.databaseUrl, config.databasePoolSize, config.databaseStatementTimeoutMs]).toEqual([URL, 10, 30_000]);
  });

  it("takes both from the environment", () => {
    const config = parseConfig([], { RETIVO_DATABASE_URL: URL, RETIVO_DATABASE_POOL_SIZE: "25", RETIVO_DATABASE_STATEMENT_TIMEOUT_MS: "5000" });
    expect([config.databasePoolSize, config.databaseStatementTimeoutMs]).toEqual([25, 5000]);
  });

  it.each([
    ["RETIVO_DATABASE_POOL_SIZE", "0", /positive integer/],
    ["RETIVO_DATABASE_POOL_SIZE", "ten", /positive integer/],
    ["RETIVO_DATABASE_POOL_SIZE", "500", /at most 200/],
    ["RETIVO_DATABASE_STATEMENT_TIMEOUT_MS", "-1", /positive integer/],
    ["RETIVO_DATABASE_STATEMENT_TIMEOUT_MS", "1.5", /positive integer/],
  ])("refuses %s=%s with a message naming it", (name, value, why) => {
    const parse = () => parseConfig([], { RETIVO_DATABASE_URL: URL, [name]: value });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(new RegExp(`${name}.*${why.source}`));
  });

  it("shows the database without its password or query string", () => {
    expect(locationOf(URL)).toBe("postgres://retivo@db.internal:5432/retivo");
    expect(locationOf("postgresql://db.internal/retivo?sslmode=require&password=secret")).toBe("postgresql://db.internal/retivo");
  });
});
