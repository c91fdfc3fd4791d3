/**
 * One `node dist/cli.js serve --http` replica as its own process, on a fixed
 * loopback port (the balancer's config names it) and a PostgreSQL store.
 */
import { spawn } from "node:child_process";
import { CLI } from "../../reliability/support/spawned.js";

export interface Replica {
  id: string;
  port: number;
  address: string;
  pid: number;
  exited: Promise<number | null>;
  stderr(): string;
  kill9(): void;
  signal(signal: NodeJS.Signals): void;
}

export async function startReplica(id: string, port: number, env: Record<string, string>): Promise<Replica> {
  const child = spawn(process.execPath, [CLI, "serve", "--http", "--host", "127.0.0.1", "--port", String(port)], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", RETIVO_LLM: "template", LOG_LEVEL: "warn", ...env, RETIVO_REPLICA_ID: id },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  const pid = child.pid!;
  const signal = (which: NodeJS.Signals) => {
    try {
      process.kill(pid, which);
    } catch {
      /* already gone */
    }
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`replica ${id} exited at start: ${stderr}`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (Date.now() > deadline) throw new Error(`replica ${id} not ready on port ${port}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { id, port, address: `127.0.0.1:${port}`, pid, exited, stderr: () => stderr, kill9: () => signal("SIGKILL"), signal };
}
