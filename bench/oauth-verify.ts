/**
 * `npm run bench -- oauth-verify`: what OAuth costs per MCP request. A real
 * authorization server (oidc-provider on loopback, the tests' own) issues a
 * real ES256 access token; the server's verifier checks it again and again
 * with the JWKS already cached (the steady state: jose fetches the keys once
 * and again only for an unknown key id). Reports µs per verification
 * (p50, p99, mean) and the first, cold verification that fetches the JWKS.
 */
import { cpus, loadavg } from "node:os";
import { accessTokenVerifier } from "../src/transport/http/oauth/verifier.js";
import { startAuthorizationServer } from "../test/support/authorization-server.js";
import { percentile, round } from "./lib/stats.js";

const WARMUP = 500;
const ROUNDS = 5000;

export async function runOAuthVerify(): Promise<void> {
  const as = await startAuthorizationServer([{ id: "bench", secret: "s".repeat(40), scope: "interventions:read interventions:write" }]);
  try {
    const resource = "http://127.0.0.1:8080/mcp";
    const token = await as.token("bench", { resource });
    const verify = accessTokenVerifier({ issuer: as.issuer, audience: resource, jwksUrl: new URL(`${as.issuer}/jwks`) });
    const coldStart = performance.now();
    await verify(token);
    const coldMs = performance.now() - coldStart;
    for (let i = 0; i < WARMUP; i++) await verify(token);
    const samples: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const start = performance.now();
      await verify(token);
      samples.push((performance.now() - start) * 1000);
    }
    const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
    process.stdout.write(
      `OAuth access token verification (ES256, cached JWKS, ${ROUNDS} rounds): ` +
        `p50 ${round(percentile(samples, 50), 1)} µs, p99 ${round(percentile(samples, 99), 1)} µs, mean ${round(mean, 1)} µs; ` +
        `first verification with the JWKS fetch ${round(coldMs, 2)} ms (${cpus().length} cores, load ${round(loadavg()[0]!, 1)})\n`,
    );
  } finally {
    await as.close();
  }
}
