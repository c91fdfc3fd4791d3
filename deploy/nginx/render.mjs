#!/usr/bin/env node
// Renders retivo-mcp.conf.template for a list of replicas:
//   node deploy/nginx/render.mjs --listen 8080 mcp-1=10.0.0.11:8080 mcp-2=10.0.0.12:8080 > /etc/nginx/conf.d/retivo-mcp.conf
// Each replica is RETIVO_REPLICA_ID=host:port, the id exactly as that replica is started with.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

// The same rule as RETIVO_REPLICA_ID (src/config.ts): the id sits in nginx names and patterns unquoted.
const REPLICA_ID = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
const ADDRESS = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+):(\d{1,5})$/i;

function fail(message) {
  process.stderr.write(`render.mjs: ${message}\nusage: node deploy/nginx/render.mjs --listen [host:]port ID=host:port ID=host:port ...\n`);
  process.exit(2);
}

function parse(argv) {
  let listen;
  const replicas = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--listen") {
      listen = argv[++i];
      continue;
    }
    const at = arg.indexOf("=");
    const id = arg.slice(0, at);
    const address = arg.slice(at + 1);
    if (at < 0 || !REPLICA_ID.test(id)) fail(`'${arg}' is not ID=host:port with an ID of 1 to 32 of a-z, 0-9 and '-'`);
    if (!ADDRESS.test(address)) fail(`'${address}' (replica ${id}) is not host:port`);
    if (replicas.some((r) => r.id === id)) fail(`replica id '${id}' is given twice: each replica needs its own`);
    replicas.push({ id, address });
  }
  if (!listen || !/^([^\s;]+:)?\d{1,5}$/.test(listen)) fail("--listen [host:]port is required");
  if (replicas.length === 0) fail("name at least one replica");
  return { listen, replicas };
}

const { listen, replicas } = parse(process.argv.slice(2));
const upstreamOf = (id) => `retivo_mcp_replica_${id}`;
const fill = {
  LISTEN: listen,
  // Passive checks only (open-source nginx): a refused connection takes the replica out for 5 s.
  ALL_SERVERS: replicas.map((r) => `    server ${r.address} max_fails=1 fail_timeout=5s;`).join("\n"),
  REPLICA_UPSTREAMS: replicas
    .map((r) =>
      [
        `upstream ${upstreamOf(r.id)} {`,
        // Never marked down here: a replica back from a restart must get its new sessions' requests at
        // once, not hand them to a backup (404) for the rest of a fail_timeout another request started.
        `    server ${r.address} max_fails=0;`,
        ...replicas.filter((o) => o !== r).map((o) => `    server ${o.address} backup;`),
        "    keepalive 8;",
        "}",
      ].join("\n"),
    )
    .join("\n"),
  SESSION_ROUTES: replicas.map((r) => `    "~^${r.id}\\." ${upstreamOf(r.id)};`).join("\n"),
};
const template = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "retivo-mcp.conf.template"), "utf8");
process.stdout.write(template.replace(/@@([A-Z_]+)@@/g, (_, name) => fill[name] ?? fail(`the template names an unknown field ${name}`)));
