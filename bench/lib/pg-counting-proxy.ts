/**
 * A loopback TCP proxy in front of PostgreSQL that counts round trips: each
 * client message that makes the server answer (Sync, which ends an extended-
 * protocol batch, or a simple Query) is one. Machine-independent, unlike
 * latency: a replica's cost per tool call in trips to the database.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

export interface CountingProxy {
  port: number;
  roundTrips(): number;
  close(): Promise<void>;
}

const SYNC = "S".charCodeAt(0);
const QUERY = "Q".charCodeAt(0);
const SSL_REQUEST = 80877103;

export async function startCountingProxy(target: { host: string; port: number }): Promise<CountingProxy> {
  let trips = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target);
    sockets.add(client).add(upstream);
    let started = false;
    let pending = Buffer.alloc(0);
    client.on("data", (chunk: Buffer) => {
      upstream.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        if (!started) {
          // The startup packet (and an SSL request before it) has a length but no type byte.
          if (pending.length < 8) break;
          const length = pending.readInt32BE(0);
          if (pending.length < length) break;
          started = pending.readInt32BE(4) !== SSL_REQUEST;
          pending = pending.subarray(length);
          continue;
        }
        if (pending.length < 5) break;
        const length = pending.readInt32BE(1);
        if (pending.length < 1 + length) break;
        if (pending[0] === SYNC || pending[0] === QUERY) trips++;
        pending = pending.subarray(1 + length);
      }
    });
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as { port: number }).port,
    roundTrips: () => trips,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
