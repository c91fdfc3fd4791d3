/**
 * HTML of the local approval page, rendered from the one request view. What a
 * busy human must see first comes first: the verdict in plain words (red when
 * flagged, green only when every required check passed), to whom it goes,
 * the subject, when it goes out and when the request expires. Model text lives
 * in its own bordered boxes, apart from the facts (a definition list), so it
 * can wrap however the window likes without posing as a fact.
 *
 * Everything interpolated passes the sanitizer and is then HTML-escaped. The
 * one script (allowed by a per-response nonce) only shows times in the
 * browser's own time zone, counts the expiry down and disables the buttons
 * once it passed; the server refuses an expired answer anyway.
 */
import { randomBytes } from "node:crypto";
import type { RequestView } from "./request-view.js";
import { oneLine, visibleText } from "../text/sanitize.js";

export function escapeHtml(text: string): string {
  return visibleText(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const line = (text: string | null | undefined, max?: number) => escapeHtml(oneLine(text ?? "", max));

const STYLE = `*{box-sizing:border-box}body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fafafa;line-height:1.45}
main{max-width:46rem;margin:0 auto;padding:1rem}h1{font-size:1.35rem;margin:.2rem 0 .8rem}h2{font-size:1.05rem;margin:1.2rem 0 .4rem}
.verdict{border-radius:6px;padding:.7rem .9rem;margin:0 0 .8rem;border:2px solid}.verdict p{margin:0;font-weight:600}.verdict ul{margin:.4rem 0 0;padding-left:1.2rem}
.danger{background:#fdecea;border-color:#c62828;color:#7f1010}.warn{background:#fff6e0;border-color:#b26a00;color:#5c3700}.ok{background:#e8f5e9;border-color:#2e7d32;color:#1b4d20}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.25rem .8rem;margin:0}dl.facts dt{font-weight:600;color:#444}dl.facts dd{margin:0;overflow-wrap:anywhere}
.model{border:2px solid #6b7fa3;border-radius:6px;background:#fff;padding:.7rem .9rem;white-space:pre-wrap;overflow-wrap:anywhere;font-family:ui-monospace,monospace;font-size:.92rem}
.message{max-height:40vh;overflow:auto}.who{font-size:.9rem;color:#555;margin:.2rem 0 .4rem}
.checks{list-style:none;padding:0;margin:0}.checks li{padding:.15rem 0;overflow-wrap:anywhere}.pass{color:#1b5e20}.fail{color:#b71c1c;font-weight:600}.warning{color:#8a4b00;font-weight:600}
form{margin:.6rem 0}label{display:block;margin:.5rem 0}input[type=password],textarea{width:100%;font-size:1rem;padding:.5rem}
.buttons{display:flex;flex-wrap:wrap;gap:.8rem;margin-top:.6rem}button{padding:.65rem 1.3rem;font-size:1rem;border-radius:6px;cursor:pointer}
button[disabled]{opacity:.5;cursor:not-allowed}.approve{background:#1a7f37;color:#fff;border:0}.destructive{background:#b71c1c;color:#fff;border:0}
.deny{background:#eee;border:1px solid #888;color:#1b1b1b}.error{background:#fdecea;border-left:4px solid #c62828;padding:.5rem .8rem}
.details{font-size:.85rem;color:#555;overflow-wrap:anywhere}`;

const SCRIPT = `(()=>{const f=new Intl.DateTimeFormat(undefined,{weekday:"short",day:"numeric",month:"short",hour:"2-digit",minute:"2-digit"});
for(const t of document.querySelectorAll("time[data-local]"))t.textContent=f.format(new Date(t.dateTime));
const e=document.getElementById("expiry");if(!e)return;const end=Date.parse(e.dataset.expires);
const tick=()=>{const s=Math.round((end-Date.now())/1000);if(s<=0){e.textContent="expired: nothing can be approved any more";
for(const b of document.querySelectorAll("button"))b.disabled=true;const n=document.getElementById("expired");if(n)n.hidden=false;return}
e.textContent="expires in "+(s>=120?Math.round(s/60)+" min":s+" s");setTimeout(tick,1000)};tick()})();`;

function layout(title: string, body: string, nonce?: string): string {
  const script = nonce ? `<script nonce="${nonce}">${SCRIPT}</script>` : "";
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body><main>${body}</main>${script}</body></html>`;
}

export interface ApprovalFormView {
  view: RequestView;
  passphraseRequired: boolean;
  /** With named operators: whose approval counts (the human names one and gives that operator's passphrase), and the tier in words. */
  team?: { eligible: string[]; tier: string } | null;
  token: string;
  csrf: string;
  /** With the page's OIDC login: where "log in" goes, and who is logged in (then no operator field and no passphrase). */
  login?: { url: string; issuerName: string; operator: string | null } | null;
  /** After a refused answer: what went wrong, shown inline, and what the human had typed (never the passphrase). */
  error?: string;
  typedNote?: string;
  acknowledged?: boolean;
}

/** The CSP for pages carrying `nonce`: only that inline script, inline styles, posts to ourselves. */
export function pageSecurityPolicy(nonce: string | undefined): string {
  const script = nonce ? `; script-src 'nonce-${nonce}'` : "";
  return `default-src 'none'; style-src 'unsafe-inline'${script}; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;
}

export function newNonce(): string {
  return randomBytes(16).toString("base64url");
}

function timeTag(iso: string, text: string): string {
  return `<time datetime="${escapeHtml(iso)}" data-local>${escapeHtml(text)}</time>`;
}

function verdictBox(view: RequestView): string {
  const reasons = view.verdict.reasons.length ? `<ul>${view.verdict.reasons.map((r) => `<li>${line(r, 5000)}</li>`).join("")}</ul>` : "";
  const role = view.verdict.tone === "danger" ? "alert" : "status";
  return `<section class="verdict ${view.verdict.tone}" role="${role}" aria-label="Verdict"><p>${line(view.verdict.headline)}</p>${reasons}</section>`;
}

function factsList(view: RequestView): string {
  const { name, address, userId } = view.recipient;
  const to = `${name ? line(name, 120) : "user"}${address ? ` &lt;${line(address, 200)}&gt;` : ""} <span class="who">(user ${line(userId, 120)}, ${line(view.channel, 20)})</span>`;
  const rows: [string, string][] = [["To", to]];
  if (view.subject !== null) rows.push(["Subject", line(view.subject, 500)]);
  for (const timing of view.timing) rows.push([escapeHtml(timing.label), escapeHtml(timing.text)]);
  rows.push(["Request", `<span id="expiry" data-expires="${escapeHtml(view.expiresAt)}">expires ${escapeHtml(view.expiresIn)}</span>`]);
  rows.push(["Requested by", `${line(view.requestedBy, 160)} (an AI agent's client)`]);
  if (view.action === "rollback") rows.push(["Agent's reason", line(view.statedReason ?? "(none given)", 5000)]);
  return `<dl class="facts">${rows.map(([dt, dd]) => `<dt>${dt}</dt><dd>${dd}</dd>`).join("")}</dl>`;
}

function checksList(view: RequestView): string {
  if (!view.checks) return `<p>No quality checks were recorded for this message.</p>`;
  const items = view.checks.map((c) => {
    const state = c.passed ? `<span class="pass">passed</span>` : c.severity === "error" ? `<span class="fail">FAILED</span>` : `<span class="warning">warning</span>`;
    return `<li>${state} · ${line(c.name, 40)} (${line(c.severity, 10)}): ${line(c.detail, 600)}</li>`;
  });
  return `<ul class="checks">${items.join("")}</ul>`;
}

function decisionForms(form: ApprovalFormView): string {
  const { view } = form;
  const verb = view.action === "approve" ? "Approve and release" : "Approve the rollback";
  const error = form.error ? `<p class="error" role="alert">${line(form.error, 600)}</p>` : "";
  const flag = view.flagged
    ? `<label><input type="checkbox" name="ack_flag" value="yes"${form.acknowledged ? " checked" : ""}> I have read why it is flagged (above)</label>`
    : "";
  const team = form.team;
  const options = (team?.eligible ?? []).map((name) => `<option value="${escapeHtml(name)}">${line(name, 40)}</option>`).join("");
  const operator = (id: string) => `<label for="${id}">Operator</label><select id="${id}" name="operator" required><option value="">(choose who you are)</option>${options}</select>`;
  const tier = team ? `<p class="who">Approvals: ${line(team.tier, 600)}.</p>` : "";
  const login = team ? form.login : null;
  const signedIn = login?.operator ?? null;
  const loginLine = !login
    ? ""
    : signedIn
      ? `<p class="who" role="status">Signed in as <strong>${line(signedIn, 40)}</strong> (via ${line(login.issuerName, 100)}): your decision counts as ${line(signedIn, 40)}'s, no passphrase needed.</p>`
      : `<p class="who"><a href="${escapeHtml(login.url)}">Log in with ${line(login.issuerName, 100)}</a> to decide as your operator without a passphrase, or choose your name and give your passphrase below.</p>`;
  const passphrase = signedIn
    ? ""
    : team
    ? `${operator("operator")}<label for="passphrase">That operator's passphrase</label><input id="passphrase" type="password" name="passphrase" autocomplete="off" required>`
    : form.passphraseRequired
      ? `<label for="passphrase">Operator passphrase</label><input id="passphrase" type="password" name="passphrase" autocomplete="off" required>`
      : "";
  const denyProof = signedIn
    ? ""
    : team
    ? `${operator("deny-operator").replace(" required", "")}<label for="deny-passphrase">That operator's passphrase (makes the denial final)</label><input id="deny-passphrase" type="password" name="passphrase" autocomplete="off">`
    : "";
  const hidden = `<input type="hidden" name="token" value="${escapeHtml(form.token)}"><input type="hidden" name="csrf" value="${escapeHtml(form.csrf)}">`;
  return `<section aria-labelledby="decide"><h2 id="decide">Your decision</h2>${tier}${loginLine}${error}
<p id="expired" class="error" role="alert" hidden>This request expired: nothing was released. Ask the agent to request approval again.</p>
<form method="POST">${hidden}<input type="hidden" name="decision" value="approve">
<button type="submit" disabled hidden aria-hidden="true" tabindex="-1"></button>
${flag}${passphrase}
<label for="note">Note for the audit log (optional)</label><textarea id="note" name="note" rows="2" maxlength="500">${escapeHtml(form.typedNote ?? "")}</textarea>
<div class="buttons"><button class="${view.action === "approve" ? "approve" : "destructive"}" type="submit">${verb}</button></div></form>
<form method="POST">${hidden}<input type="hidden" name="decision" value="deny">
${denyProof}<label for="deny-note">Reason for denying (optional; no passphrase needed)</label><textarea id="deny-note" name="note" rows="2" maxlength="500"></textarea>
<div class="buttons"><button class="deny" type="submit">Deny</button></div></form></section>`;
}

export function approvalFormPage(form: ApprovalFormView, nonce: string): string {
  const { view } = form;
  const body = `<h1>${line(view.title)}</h1>
${verdictBox(view)}
${factsList(view)}
<section aria-labelledby="message"><h2 id="message">Message, as the recipient will see it</h2>
<p class="who">Written by ${line(view.writtenBy, 200)}: data to review, not instructions.</p>
<div class="model message" role="region" aria-label="Message body" tabindex="0">${escapeHtml(view.body)}</div></section>
${decisionForms(form)}
<section aria-labelledby="checks"><h2 id="checks">Quality checks</h2>${checksList(view)}</section>
<section aria-labelledby="reasoning"><h2 id="reasoning">Model reasoning</h2>
<p class="who">Model output, unverified; confidence ${escapeHtml(String(view.confidence))}.</p>
<div class="model" role="region" aria-label="Model reasoning" tabindex="0">${escapeHtml(view.reasoning)}</div></section>
<section aria-labelledby="details" class="details"><h2 id="details">Details</h2>
<p>Intervention ${line(view.interventionId, 40)} (status ${line(view.status, 20)}, version ${escapeHtml(String(view.version ?? "n/a"))}) · approval ${escapeHtml(view.approvalId)} · expires ${timeTag(view.expiresAt, view.expiresAt)}</p>
<p>Action hash: ${escapeHtml(view.actionHash)}</p></section>`;
  return layout(`${view.action === "approve" ? "Approve" : "Roll back"} ${oneLine(view.interventionId, 40)}: ${view.verdict.tone === "danger" ? "FLAGGED" : "review"} · Retivo`, body, nonce);
}

/** A page that only states an outcome or a refusal; `alert` for what went wrong. */
export function messagePage(title: string, text: string, role: "status" | "alert" = "status"): string {
  return layout(`${title} · Retivo approval`, `<h1>${escapeHtml(title)}</h1><p role="${role}">${line(text, 2000)}</p>`);
}
