/**
 * The settings several replicas depend on, read once with the configuration:
 * the delivery lease (how soon a dead replica's deliveries are taken over),
 * with the default the deploy guide states, and refused clearly when wrong.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config.js";
import { ConfigError } from "../../src/errors.js";

describe("delivery lease", () => {
  it("defaults to 30 s and takes RETIVO_DELIVERY_LEASE_SECONDS", () => {
    expect(parseConfig(["serve", "--http"], {}).deliveryLeaseMs).toBe(30_000);
    expect(parseConfig(["serve", "--http"], { RETIVO_DELIVERY_LEASE_SECONDS: "3" }).deliveryLeaseMs).toBe(3000);
    expect(parseConfig(["api"], { RETIVO_DELIVERY_LEASE_SECONDS: "45" }).deliveryLeaseMs).toBe(45_000);
  });

  it.each([
    ["0", /positive integer/],
    ["1.5", /positive integer/],
    ["soon", /positive integer/],
    ["7200", /at most 3600/],
  ])("refuses RETIVO_DELIVERY_LEASE_SECONDS=%s with a message naming it", (value, why) => {
    const parse = () => parseConfig(["serve", "--http"], { RETIVO_DELIVERY_LEASE_SECONDS: value });
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(new RegExp(`RETIVO_DELIVERY_LEASE_SECONDS.*${why.source}`));
  });
});
