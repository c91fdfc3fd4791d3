/**
 * A loopback proxy in front of a real server (the local REST server) that
 * can lose answers: it forwards a request, lets the server act on it, and then
 * cuts the client's connection instead of passing the answer back, the way a
 * flaky network or a load balancer's timeout does. It can also strip the
 * Idempotency-Key header, standing in for an upstream that ignores it.
 */
import { createServer, request, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface FaultProxy {
  url: string;
  /** Lose the answer to the next `n` requests matching `method` (after the server acted on them). */
  loseAnswers(method: string, n: number): void;
  /** Drop the Idempotency-Key header from every request from now on. */
  stripIdempotencyKey(strip: boolean): void;
  /** Requests forwarded, with the headers the server got. */
  forwarded: { method: string; url: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const upstream = new URL(target);
  let lose: { method: string; n: number } = { method: "", n: 0 };
  let strip = false;
  const forwarded: FaultProxy["forwarded"] = [];
  const server = createServer((req, res) => {
    const headers: IncomingHttpHeaders = { ...req.headers, host: upstream.host };
    if (strip) delete headers["idempotency-key"];
    forwarded.push({ method: req.method ?? "", url: req.url ?? "", headers });
    const losing = req.method === lose.method && lose.n > 0;
    if (losing) lose.n--;
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on("data", (chunk: Buffer) => chunks.push(chunk));
      answer.on("end", () => {
        if (losing) return void req.socket.destroy(); // the server acted; the client never hears
        res.writeHead(answer.statusCode ?? 502, answer.headers).end(Buffer.concat(chunks));
      });
    });
    out.on("error", () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    loseAnswers: (method, n) => (lose = { method, n }),
    stripIdempotencyKey: (value) => (strip = value),
    forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
