/**
 * A loopback chat tool as a team would wire one to the approval webhook (a
 * Slack or Teams workflow): it receives the signed notices, checks each
 * signature and timestamp itself (its own HMAC, not the server's code), and
 * posts a human's decision back to the decisions endpoint, signed with the
 * same secret. Decisions can be bent on purpose (another secret, an old
 * timestamp, a reused nonce) to play an attacker or a replay.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedNotice {
  deliveryId: string | undefined;
  timestamp: string | undefined;
  signatureValid: boolean;
  body: Record<string, unknown>;
  raw: string;
}

export interface SignedDecision {
  operator: string;
  decision: "approve" | "reject";
  note?: string;
  acknowledge_flag?: boolean;
}

export interface DecisionTweaks {
  /** Sign with another secret (an attacker's guess). */
  secret?: string;
  /** Seconds to shift the timestamp by (negative: in the past). */
  skewSeconds?: number;
  nonce?: string;
  /** Send exactly these bytes and headers again (a replay captured off the wire). */
  replay?: SentDecision;
}

export interface SentDecision {
  raw: string;
  headers: Record<string, string>;
}

export interface DecisionReply {
  status: number;
  body: { error?: string; message?: string; status?: string; tier?: string; outcome?: string | null } & Record<string, unknown>;
  sent: SentDecision;
}

export interface ChatTool {
  url: string;
  notices: ReceivedNotice[];
  /** How the next notices are answered (default 200); a status ≥ 500 makes the server retry. */
  answerWith(status: (notice: ReceivedNotice) => number): void;
  decide(decisionsUrl: string, decision: SignedDecision, tweaks?: DecisionTweaks): Promise<DecisionReply>;
  close(): Promise<void>;
}

function sign(secret: string, timestamp: string, raw: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${raw}`).digest("hex")}`;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export async function startChatTool(secret: string): Promise<ChatTool> {
  const notices: ReceivedNotice[] = [];
  let answer: (notice: ReceivedNotice) => number = () => 200;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const timestamp = header(req.headers, "x-retivo-timestamp");
      const given = Buffer.from(header(req.headers, "x-retivo-signature") ?? "");
      const expected = Buffer.from(sign(secret, timestamp ?? "", raw));
      const fresh = timestamp !== undefined && Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300;
      const notice: ReceivedNotice = {
        deliveryId: header(req.headers, "x-retivo-delivery"),
        timestamp,
        signatureValid: fresh && given.length === expected.length && timingSafeEqual(given, expected),
        body: JSON.parse(raw) as Record<string, unknown>,
        raw,
      };
      notices.push(notice);
      res.writeHead(answer(notice)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/retivo`,
    notices,
    answerWith(status) {
      answer = status;
    },
    async decide(decisionsUrl, decision, tweaks = {}) {
      let sent = tweaks.replay;
      if (!sent) {
        const timestamp = Math.floor(Date.now() / 1000) + (tweaks.skewSeconds ?? 0);
        const raw = JSON.stringify({ ...decision, nonce: tweaks.nonce ?? randomBytes(16).toString("hex"), timestamp });
        sent = { raw, headers: { "content-type": "application/json", "x-retivo-timestamp": String(timestamp), "x-retivo-signature": sign(tweaks.secret ?? secret, String(timestamp), raw) } };
      }
      const response = await fetch(decisionsUrl, { method: "POST", headers: sent.headers, body: sent.raw });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : {}) as DecisionReply["body"], sent };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
