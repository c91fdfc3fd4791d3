/**
 * Debian's nginx as a child of the test: its own prefix, config, pid and log
 * files in a temp folder, `daemon off;` on a loopback port, in front of the
 * shipped configuration (deploy/nginx/) rendered for the given replicas.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const DEPLOY = resolve(import.meta.dirname, "..", "..", "..", "deploy", "nginx");

/** The nginx binary, or undefined when it is not installed. */
export function nginxBinary(): string | undefined {
  for (const candidate of ["nginx", "/usr/sbin/nginx"]) {
    const found = spawnSync(candidate, ["-v"], { stdio: "ignore" });
    if (found.status === 0) return candidate;
  }
  return undefined;
}

export const HOW_TO_GET_NGINX = "nginx is not installed: apt-get install -y nginx-light (the replica tests start Debian's nginx themselves; .ci/run installs it)";

export interface RunningNginx {
  url: string;
  /** The master process (its workers are its children). */
  pid: number;
  /** The rendered conf.d file, as an operator would install it. */
  config: string;
  errorLog(): string;
  stop(): Promise<void>;
}

export function renderConfig(listen: string, replicas: { id: string; address: string }[]): string {
  return execFileSync(process.execPath, [join(DEPLOY, "render.mjs"), "--listen", listen, ...replicas.map((r) => `${r.id}=${r.address}`)], { encoding: "utf8" });
}

export async function startNginx(binary: string, port: number, replicas: { id: string; address: string }[]): Promise<RunningNginx> {
  const prefix = mkdtempSync(join(tmpdir(), "retivo-nginx-"));
  // Workers drop root to nobody: they must reach the temp folders.
  chmodSync(prefix, 0o755);
  mkdirSync(join(prefix, "logs"));
  const config = renderConfig(`127.0.0.1:${port}`, replicas);
  writeFileSync(join(prefix, "retivo-mcp.conf"), config);
  writeFileSync(
    join(prefix, "nginx.conf"),
    [
      "daemon off;",
      "worker_processes 1;",
      `pid ${prefix}/nginx.pid;`,
      `error_log ${prefix}/logs/error.log info;`,
      "events { worker_connections 512; }",
      "http {",
      `  access_log ${prefix}/logs/access.log;`,
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((kind) => `  ${kind}_temp_path ${prefix}/${kind}_temp;`),
      `  include ${prefix}/retivo-mcp.conf;`,
      "}",
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn(binary, ["-p", prefix, "-c", join(prefix, "nginx.conf"), "-e", join(prefix, "logs", "error.log")], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const url = `http://127.0.0.1:${port}`;
  const errorLog = () => {
    try {
      return readFileSync(join(prefix, "logs", "error.log"), "utf8");
    } catch {
      return "";
    }
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited at start: ${stderr}${errorLog()}`);
    const up = await fetch(`${url}/healthz`).then((r) => r.status === 200, () => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error(`nginx did not answer on ${url}: ${stderr}${errorLog()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid!,
    config,
    errorLog,
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGQUIT");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}
