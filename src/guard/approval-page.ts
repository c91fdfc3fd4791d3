/**
 * The local approval page: `GET /approvals/<id>?token=…` shows the request and
 * changes nothing; `POST /approvals/<id>` with the link's token, a CSRF token,
 * and (when set) the operator passphrase records the human's answer, and an
 * approval is executed right away: the page then says what actually happened.
 * The link works until the request is decided or expires; afterwards it shows
 * only the outcome. Only loopback peers with a loopback Host header are
 * served, which also defeats DNS rebinding, and, behind a load balancer with a
 * public base URL (RETIVO_PUBLIC_URL), requests for exactly that host from any
 * peer (the balancer's): the links name it, and any replica serves them.
 * Cross-site posts are refused by Origin and CSRF.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { isLoopbackHost, parseHostHeader } from "../config.js";
import type { Logger } from "../log.js";
import { approvalFormPage, messagePage, newNonce, pageSecurityPolicy, type ApprovalFormView } from "./approval-page-html.js";
import { isExpired, type ApprovalRow, type Store } from "../store/index.js";
import { requestViewOf } from "./request-view.js";
import { answerApproval } from "./human-answer.js";
import { csrfTokenFor, isCsrfToken, isPageToken } from "./page-token.js";
import { hasPassphrase } from "./passphrase.js";
import { outcomeText } from "./outcome-text.js";
import type { Releaser } from "./release.js";
import { operatorsConfigured } from "./operators.js";
import { tierLine, tierViewOf } from "./tier-text.js";
import type { PageLogin } from "./page-login.js";
import { clearCookie, cookieOf, FLOW_COOKIE, FLOW_TTL_MS, seal, SESSION_COOKIE, SESSION_TTL_MS, setCookie, unseal } from "./page-cookies.js";
import { auditRefusal } from "./guard-audit.js";
import { readSmallBody } from "./request-body.js";

export type ApprovalPageHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ApprovalPageOptions {
  store: Store;
  logger: Logger;
  /** Executes a request the moment the human approves it here. */
  releaser: Releaser;
  /** Called after a human answered on the page (the URL channel sends elicitation-complete). */
  onAnswered?: (approvalId: string) => void;
  /** The public base URL the links name (RETIVO_PUBLIC_URL), once the transport mounted the page behind it. */
  publicBase?: () => string | undefined;
  /** The page's OIDC login (RETIVO_PAGE_OIDC_*), offered once operators exist. */
  login?: PageLogin;
  /** Where the page is served, public URL first (the callback URL registered at the issuer is built on it). */
  baseUrl?: () => Promise<string>;
  now?: () => Date;
}

/** The one redirect URI to register at the issuer: `<page base URL>/approvals/login/callback`. */
export const LOGIN_CALLBACK_PATH = "/approvals/login/callback";

interface LoginFlow {
  state: string;
  nonce: string;
  verifier: string;
  approvalId: string;
  token: string;
}

interface LoginSession {
  operator: string;
  issuer: string;
  subject: string;
}

export const APPROVAL_PATH_PREFIX = "/approvals/";
const MAX_BODY_BYTES = 16 * 1024;

export function approvalPageUrl(baseUrl: string, approvalId: string, pageToken: string): string {
  return `${baseUrl.replace(/\/+$/, "")}${APPROVAL_PATH_PREFIX}${encodeURIComponent(approvalId)}?token=${encodeURIComponent(pageToken)}`;
}

function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return isLoopbackHost(address.startsWith("::ffff:") ? address.slice(7) : address);
}

/** The Host header's name, if it is a loopback one (`localhost`, 127.0.0.0/8, `[::1]`), with any port. */
function isLoopbackHostHeader(host: string | undefined): boolean {
  const parsed = host === undefined ? undefined : parseHostHeader(host);
  return !!parsed && isLoopbackHost(parsed.hostname);
}

/**
 * The request names the public base URL's host, the one its links carry: its
 * name, and its port when the Host carries one (a balancer passing `$host`
 * drops it).
 */
function isPublicHost(req: IncomingMessage, publicBase: URL | undefined): boolean {
  const host = parseHostHeader(String(req.headers.host ?? ""));
  if (!publicBase || !host || host.hostname !== publicBase.hostname) return false;
  const publicPort = publicBase.port === "" ? (publicBase.protocol === "https:" ? 443 : 80) : Number(publicBase.port);
  return host.port === undefined || host.port === publicPort;
}

/**
 * A browser's Origin, if any, must be this page's own (same scheme, host and
 * port as the Host it asked for, or the public base URL's origin). `null`
 * passes: the page's own form posts send it (its Referrer-Policy is
 * no-referrer); the CSRF token covers them.
 */
function isSameOriginOrNone(req: IncomingMessage, publicBase: URL | undefined): boolean {
  if (req.headers["sec-fetch-site"] === "cross-site") return false;
  const origin = req.headers.origin;
  if (origin === undefined || origin === "null") return true;
  if (publicBase && origin === publicBase.origin) return true;
  const host = parseHostHeader(String(req.headers.host ?? ""));
  try {
    const url = new URL(origin);
    const port = url.port === "" ? 80 : Number(url.port);
    return url.protocol === "http:" && !!host && url.hostname === host.hostname && port === (host.port ?? 80);
  } catch {
    return false;
  }
}

function send(res: ServerResponse, status: number, html: string, nonce?: string, cookies: string[] = []): void {
  res.writeHead(status, {
    ...(cookies.length > 0 ? { "set-cookie": cookies } : {}),
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    // The token is in the URL: never leak it in a Referer, never render in a frame.
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "content-security-policy": pageSecurityPolicy(nonce),
  });
  res.end(html);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const text = await readSmallBody(req, MAX_BODY_BYTES);
  return text === undefined ? undefined : new URLSearchParams(text);
}

export function createApprovalPageHandler(options: ApprovalPageOptions): ApprovalPageHandler {
  const { store, logger, releaser } = options;
  const now = options.now ?? (() => new Date());

  /** The request the URL names, if the token matches it; undefined otherwise (answered as 404). */
  const authorizedRow = async (id: string, token: string | null): Promise<ApprovalRow | undefined> =>
    (await isPageToken(store, id, token)) ? store.approvals.get(id) : undefined;

  const teamOf = async (row: ApprovalRow) => {
    const tier = await tierViewOf(store, row);
    return { eligible: tier.eligible.filter((name) => !tier.given.includes(name)), tier: tierLine(tier) };
  };

  /** Who is logged in on this browser, if the login is configured and the sealed cookie is valid. */
  const sessionOf = async (req: IncomingMessage): Promise<LoginSession | undefined> => {
    if (!options.login) return undefined;
    const session = await unseal<LoginSession>(store, SESSION_COOKIE, cookieOf(req, SESSION_COOKIE), now());
    return session?.issuer === options.login.issuer ? session : undefined;
  };

  const redirectUri = async (req: IncomingMessage) => `${options.baseUrl ? await options.baseUrl() : `http://${req.headers.host}`}${LOGIN_CALLBACK_PATH}`;

  const showForm = async (req: IncomingMessage, res: ServerResponse, status: number, row: ApprovalRow, token: string, refused: Partial<ApprovalFormView> = {}) => {
    const nonce = newNonce();
    const session = await sessionOf(req);
    const login = options.login
      ? { url: `${APPROVAL_PATH_PREFIX}${encodeURIComponent(row.id)}/login?token=${encodeURIComponent(token)}`, issuerName: options.login.issuerName, operator: session?.operator ?? null }
      : null;
    const form: ApprovalFormView = {
      login,
      view: requestViewOf(row, now()),
      passphraseRequired: await hasPassphrase(store),
      team: (await operatorsConfigured(store)) ? await teamOf(row) : null,
      token,
      csrf: await csrfTokenFor(store, row.id),
      ...refused,
    };
    send(res, status, approvalFormPage(form, nonce), nonce);
  };

  const show = async (req: IncomingMessage, res: ServerResponse, row: ApprovalRow, token: string) => {
    const expired = row.status === "expired" || (row.status === "pending" && isExpired(row, now()));
    if (expired) {
      const text = row.status === "expired" && row.outcome !== "expired unanswered" ? outcomeText(row) : "This request expired unanswered; nothing was released. Ask the agent to request approval again.";
      return send(res, 410, messagePage("Expired", text, "alert"));
    }
    if (row.status !== "pending") return send(res, 409, messagePage("Already decided", outcomeText(row)));
    await showForm(req, res, 200, row, token);
  };

  /** GET /approvals/<id>/login?token=…: off to the issuer, the attempt sealed in a cookie. Changes nothing else. */
  const startLogin = async (req: IncomingMessage, res: ServerResponse, row: ApprovalRow, token: string) => {
    const login = options.login!;
    let start;
    try {
      start = await login.start(await redirectUri(req));
    } catch (error) {
      logger.warn({ err: error }, "the approval page's OIDC issuer could not be reached");
      return send(res, 502, messagePage("Login unavailable", `The sign-in service (${login.issuerName}) could not be reached. Decide with your passphrase, or try again later.`, "alert"));
    }
    const flow: LoginFlow = { ...start.flow, approvalId: row.id, token };
    // Behind an https public URL the cookies are Secure too; a loopback page is plain http.
    const secure = (await redirectUri(req)).startsWith("https:");
    const cookie = setCookie(FLOW_COOKIE, await seal(store, FLOW_COOKIE, flow, now(), FLOW_TTL_MS), FLOW_TTL_MS, secure);
    res.writeHead(302, { location: start.authorizationUrl, "set-cookie": cookie, "cache-control": "no-store", "referrer-policy": "no-referrer" }).end();
  };

  /** GET /approvals/login/callback: the issuer's answer; a verified identity that names an operator becomes a short session. */
  const finishLogin = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const login = options.login!;
    const flow = await unseal<LoginFlow>(store, FLOW_COOKIE, cookieOf(req, FLOW_COOKIE), now());
    if (!flow) return send(res, 400, messagePage("Login expired", "This login was not started in this browser, or took longer than 10 minutes. Open the approval link again and log in from there.", "alert"), undefined, [clearCookie(FLOW_COOKIE)]);
    const refused = async (message: string, reason: string) => {
      await auditRefusal(store, "channel:page", { event: "approval_refused", actor: "unverified:page", detail: { via: "page", reason, approval_id: flow.approvalId } }, now());
      send(res, 403, messagePage("Not logged in", `${message} Nothing was recorded; you can still decide with your passphrase.`, "alert"), undefined, [clearCookie(FLOW_COOKIE)]);
    };
    const callback = await redirectUri(req);
    const result = await login.finish(url.searchParams, flow, callback).catch((error: unknown) => ({ ok: false as const, message: `The sign-in could not be completed (${(error as Error).message}).` }));
    if (!result.ok) return refused(result.message, "login_failed");
    if (!(await store.operators.get(result.operator))) {
      return refused(`You signed in as '${result.claim}', which names the operator '${result.operator}', but there is no such operator here (retivo-mcp operators add NAME).`, "login_unknown_operator");
    }
    logger.info({ operator: result.operator, issuer: login.issuer }, "operator logged in on the approval page");
    const session: LoginSession = { operator: result.operator, issuer: login.issuer, subject: result.subject };
    const cookies = [clearCookie(FLOW_COOKIE), setCookie(SESSION_COOKIE, await seal(store, SESSION_COOKIE, session, now(), SESSION_TTL_MS), SESSION_TTL_MS, callback.startsWith("https:"))];
    res.writeHead(303, { location: `${APPROVAL_PATH_PREFIX}${encodeURIComponent(flow.approvalId)}?token=${encodeURIComponent(flow.token)}`, "set-cookie": cookies, "cache-control": "no-store", "referrer-policy": "no-referrer" }).end();
  };

  const decide = async (req: IncomingMessage, res: ServerResponse, id: string) => {
    if (!String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")) {
      return send(res, 415, messagePage("Refused", "Expected a form submission. Nothing changed."));
    }
    const form = await readForm(req);
    if (!form) return send(res, 400, messagePage("Refused", "Unreadable form. Nothing changed."));
    const row = await authorizedRow(id, form.get("token"));
    if (!row) return send(res, 404, messagePage("Not found", "Unknown or invalid approval link. Nothing changed."));
    if (!(await isCsrfToken(store, row.id, form.get("csrf")))) {
      logger.warn({ approvalId: id }, "approval page POST without a valid CSRF token");
      return send(res, 403, messagePage("Refused", "Missing or invalid CSRF token: reload the approval page. Nothing changed."));
    }
    const decision = form.get("decision");
    if (decision !== "approve" && decision !== "deny") return send(res, 400, messagePage("Refused", "Choose approve or deny."));
    const session = await sessionOf(req);
    const outcome = await answerApproval(
      store,
      id,
      {
        approve: decision === "approve",
        via: "page",
        answer: decision,
        note: form.get("note"),
        acknowledgedFlag: form.get("ack_flag") === "yes",
        passphrase: form.get("passphrase") ?? undefined,
        operator: form.get("operator") || undefined,
        ...(session ? { loggedIn: { operator: session.operator, vouchedBy: `oidc:${session.issuer}` } } : {}),
      },
      now(),
    );
    if (!outcome.ok) {
      if (outcome.reason === "too_many_wrong_passphrases") options.onAnswered?.(id);
      const latest = await store.approvals.get(id);
      // Still open: the same form again, the problem inline, what was typed kept (never the passphrase).
      if (latest?.status === "pending" && !isExpired(latest, now())) {
        return showForm(req, res, 403, latest, form.get("token")!, { error: outcome.message, typedNote: form.get("note") ?? "", acknowledged: form.get("ack_flag") === "yes" });
      }
      const status = outcome.reason === "expired" ? 410 : outcome.reason === "not_pending" ? 409 : 403;
      // Another human (on this page or another replica's) got there first: theirs stands, whatever it was.
      const title = latest?.status === "void" ? "Voided by the system" : outcome.reason === "expired" ? "Expired" : outcome.reason === "not_pending" ? "Already decided" : "Not approved";
      return send(res, status, messagePage(title, latest && latest.status !== "pending" ? outcomeText(latest) : outcome.message, "alert"));
    }
    // The answer is recorded: whatever executing it does, the page says what actually happened.
    if (decision === "approve") await releaser.release(id).catch((error: unknown) => logger.warn({ err: error, approvalId: id }, "releasing an approval failed; it stays approved for a retry"));
    options.onAnswered?.(id);
    const decided = (await store.approvals.get(id)) ?? outcome.row;
    if (decided.status === "pending") {
      const tier = tierLine(await tierViewOf(store, decided));
      return send(res, 200, messagePage("Approval counted", `Your approval is counted; nothing is released yet: ${tier}. The request expires at ${decided.expires_at}.`));
    }
    const title = decided.status === "executed" ? (decided.action === "approve" ? "Released" : "Rolled back") : decided.status === "denied" ? "Denied" : "Not released";
    send(res, 200, messagePage(title, outcomeText(decided), decided.status === "executed" || decided.status === "denied" ? "status" : "alert"));
  };

  return (req, res) => {
    const base = options.publicBase?.();
    const publicBase = base ? new URL(base) : undefined;
    const onLoopback = isLoopbackAddress(req.socket.remoteAddress) && isLoopbackHostHeader(req.headers.host);
    if (!onLoopback && !isPublicHost(req, publicBase)) {
      return send(res, 403, messagePage("Refused", "The approval page answers only on loopback (127.0.0.1), or at the server's public URL."));
    }
    if (!isSameOriginOrNone(req, publicBase)) return send(res, 403, messagePage("Refused", "Cross-site request refused. Nothing changed."));
    const url = new URL(req.url ?? "/", "http://localhost");
    const failed = (error: unknown) => {
      logger.error({ err: error }, "approval page failed");
      if (!res.headersSent) send(res, 500, messagePage("Error", "Something failed; nothing was approved."));
    };
    if (options.login && url.pathname === LOGIN_CALLBACK_PATH && req.method === "GET") {
      finishLogin(req, res, url).catch(failed);
      return;
    }
    const rest = url.pathname.startsWith(APPROVAL_PATH_PREFIX) ? url.pathname.slice(APPROVAL_PATH_PREFIX.length) : "";
    const loginStart = options.login && rest.endsWith("/login") && req.method === "GET";
    const id = decodeURIComponent(loginStart ? rest.slice(0, -"/login".length) : rest);
    if (!/^apr_[A-Za-z0-9_-]+$/.test(id)) return send(res, 404, messagePage("Not found", "No such approval page."));
    if (loginStart) {
      const token = url.searchParams.get("token");
      void authorizedRow(id, token)
        .then((row) =>
          !row || !token
            ? send(res, 404, messagePage("Not found", "Unknown or invalid approval link."))
            : row.status !== "pending"
              ? send(res, 409, messagePage("Already decided", outcomeText(row)))
              : startLogin(req, res, row, token),
        )
        .catch(failed);
      return;
    }
    if (req.method === "GET" || req.method === "HEAD") {
      const token = url.searchParams.get("token");
      void authorizedRow(id, token)
        .then((row) => (row && token ? show(req, res, row, token) : send(res, 404, messagePage("Not found", "Unknown or invalid approval link."))))
        .catch(failed);
      return;
    }
    if (req.method === "POST") {
      decide(req, res, id).catch(failed);
      return;
    }
    res.writeHead(405, { allow: "GET, POST" }).end();
  };
}
