/**
 * A browser's requests for an approval link, sent through the balancer: the
 * link names the public base URL (TLS ends in front, as the deploy guide
 * describes), so the request goes to the balancer's loopback address with the
 * link's Host header, exactly as a TLS terminator would pass it on.
 */
import { request } from "node:http";

export interface PageAnswer {
  status: number;
  /** The replica that served it (x-retivo-replica). */
  replica: string;
  html: string;
}

function send(balancer: string, link: string, method: "GET" | "POST", form?: Record<string, string>): Promise<PageAnswer> {
  const target = new URL(link);
  const via = new URL(balancer);
  const body = form ? new URLSearchParams(form).toString() : undefined;
  const headers: Record<string, string | number> = { host: target.host };
  if (body !== undefined) Object.assign(headers, { "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body), origin: target.origin });
  return new Promise((resolve, reject) => {
    const req = request({ host: via.hostname, port: via.port, path: `${target.pathname}${target.search}`, method, headers }, (res) => {
      let html = "";
      res.on("data", (chunk: Buffer) => (html += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, replica: String(res.headers["x-retivo-replica"] ?? ""), html }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

export const openLink = (balancer: string, link: string) => send(balancer, link, "GET");

/** The page's hidden fields. */
export function formFields(html: string): { token: string; csrf: string } {
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? "";
  return { token: field("token"), csrf: field("csrf") };
}

export function decideOnPage(balancer: string, link: string, fields: { token: string; csrf: string }, decision: "approve" | "deny"): Promise<PageAnswer> {
  const target = new URL(link);
  // The human ticks "I have read why it is flagged" too: some of the demo interventions are.
  return send(balancer, `${target.origin}${target.pathname}`, "POST", { ...fields, decision, ack_flag: "yes", note: "decided through the balancer" });
}
