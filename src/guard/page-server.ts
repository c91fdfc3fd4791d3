/**
 * Where the approval page is served. When the Streamable HTTP transport runs,
 * it mounts the handler on its own server and calls `mount(baseUrl)` (with
 * the public base URL when it runs behind a load balancer: the links then name
 * that, so any replica's page answers them); in stdio mode the first request
 * that needs the page starts a listener bound to 127.0.0.1 on an ephemeral
 * port, closed with the guard.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ApprovalPageHandler } from "./approval-page.js";

export interface LoopbackApprovalServer {
  /** e.g. http://127.0.0.1:53122 */
  url: string;
  close(): Promise<void>;
}

/** Serves only the approval page, only on loopback. `port` 0 picks a free one. */
export function startLoopbackApprovalServer(handler: ApprovalPageHandler, port = 0): Promise<LoopbackApprovalServer> {
  const server: Server = createServer(handler);
  // Approval pages are tiny; a slow or idle client must not hold sockets open.
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      const address = server.address() as AddressInfo;
      server.unref();
      resolve({
        url: `http://127.0.0.1:${address.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

export class ApprovalPageHost {
  private external: string | undefined;
  private publicUrl: string | undefined;
  private own: Promise<LoopbackApprovalServer> | undefined;

  constructor(private readonly handler: ApprovalPageHandler) {}

  /** The HTTP transport serves `handler` under /approvals/ at this base URL, reached by clients at `publicBase` when given. */
  mount(baseUrl: string, publicBase?: string): void {
    this.publicUrl = publicBase?.replace(/\/+$/, "");
    this.external = this.publicUrl ?? baseUrl.replace(/\/+$/, "");
  }

  /** The public base URL the page was mounted behind, if any. */
  publicBase(): string | undefined {
    return this.publicUrl;
  }

  async baseUrl(): Promise<string> {
    if (this.external) return this.external;
    this.own ??= startLoopbackApprovalServer(this.handler);
    return (await this.own).url;
  }

  async close(): Promise<void> {
    const own = this.own;
    this.own = undefined;
    if (own) await (await own).close();
  }
}
