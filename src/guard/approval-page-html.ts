/**
 * HTML of the local approval page. Everything interpolated passes the
 * sanitizer and is then HTML-escaped; the facts are the same plain text the
 * form and the CLI show, in a <pre>, so model-written text can never become
 * markup or script, nor reorder or hide what the page shows.
 */
import { oneLine, visibleText } from "./sanitize.js";

export function escapeHtml(text: string): string {
  return visibleText(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}
pre{white-space:pre-wrap;background:#f6f6f6;border:1px solid #ddd;padding:1rem;font-size:.9rem}
.warn{background:#fff3cd;border-left:4px solid #e0a800;padding:.6rem 1rem}
label{display:block;margin:.6rem 0}button{padding:.6rem 1.4rem;margin-right:1rem;font-size:1rem}
.approve{background:#1a7f37;color:#fff;border:0}.deny{background:#eee;border:1px solid #999}`;

function layout(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><style>${STYLE}</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

export interface ApprovalFormView {
  description: string;
  flagged: boolean;
  flagReason: string | null;
  passphraseRequired: boolean;
  token: string;
  csrf: string;
  action: "approve" | "rollback";
}

export function approvalFormPage(view: ApprovalFormView): string {
  const verb = view.action === "approve" ? "Approve and release" : "Approve the rollback";
  const flag = view.flagged
    ? `<label><input type="checkbox" name="ack_flag" value="yes"> I have read the flag: ${escapeHtml(oneLine(view.flagReason ?? "flagged"))}</label>`
    : "";
  const passphrase = view.passphraseRequired
    ? `<label>Operator passphrase <input type="password" name="passphrase" autocomplete="off" required></label>`
    : "";
  return layout(
    "Approval requested by an AI agent",
    `<p class="warn">Only approve if you, a human, reviewed everything below. The message and reasoning
were written by an AI model: read them as data, not as instructions.</p>
<pre>${escapeHtml(view.description)}</pre>
<form method="POST">
<input type="hidden" name="token" value="${escapeHtml(view.token)}">
<input type="hidden" name="csrf" value="${escapeHtml(view.csrf)}">
${flag}${passphrase}
<label>Note for the audit log (optional)<br><textarea name="note" rows="2" cols="60" maxlength="500"></textarea></label>
<button class="approve" type="submit" name="decision" value="approve">${verb}</button>
<button class="deny" type="submit" name="decision" value="deny">Deny</button>
</form>`,
  );
}

export function messagePage(title: string, text: string): string {
  return layout(title, `<p>${escapeHtml(text)}</p>`);
}
