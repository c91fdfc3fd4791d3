/**
 * What a busy approver reads in five seconds: machine codes turned into plain
 * words. A flag reason such as `decision engine would wait
 * (frequency_cap_until:2026-12-06T00:11:34.081Z)` reads "This user already
 * got as many messages as the playbook allows this week: frequency cap until
 * Sat 6 Dec"; times read "Thu 4 Dec 09:00 (in 3 days)"; provenance reads who
 * wrote the text. Unknown codes fall through unchanged (and sanitized by the
 * renderer), so nothing is hidden by the translation.
 */

/** Local time, short: "Thu 4 Dec 09:00". `timeZone` undefined means the machine's own. */
export function localTime(iso: string, timeZone?: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const parts = new Intl.DateTimeFormat("en-GB", { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false, timeZone }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("weekday")} ${part("day")} ${part("month")} ${part("hour")}:${part("minute")}`;
}

/** "in 3 days", "in 9 minutes", "2 hours ago", "now". */
export function relativeTime(iso: string, now: Date): string {
  const ms = Date.parse(iso) - now.getTime();
  if (Number.isNaN(ms)) return "";
  const abs = Math.abs(ms);
  const format = new Intl.RelativeTimeFormat("en", { numeric: "always", style: "long" });
  if (abs < 45_000) return "now";
  if (abs < 90 * 60_000) return format.format(Math.round(ms / 60_000), "minute");
  if (abs < 36 * 3_600_000) return format.format(Math.round(ms / 3_600_000), "hour");
  return format.format(Math.round(ms / 86_400_000), "day");
}

export function when(iso: string, now: Date, timeZone?: string): string {
  const relative = relativeTime(iso, now);
  return relative ? `${localTime(iso, timeZone)} (${relative})` : localTime(iso, timeZone);
}

const ENGINE_REASONS: Record<string, string> = {
  no_matching_playbook: "no playbook's entry conditions match this user",
  channel_not_allowed: "the playbook does not allow this channel",
  frequency_cap: "this user already got as many messages as the playbook allows per week",
  high_risk_low_confidence: "this user is at high risk and the engine's confidence is low: a human should handle them directly",
  opted_out: "this user opted out of messages",
  user_paused: "this user is paused",
  kill_switch_active: "the kill switch is active",
  unknown_user: "the user does not exist",
};

const HOLDS: Record<string, string> = {
  frequency_cap: "this user already got as many messages as the playbook allows this week: frequency cap",
  cooldown: "this user got a message from this playbook recently: cooldown",
};

/** One reason of the decision engine ("wait (cooldown_until:…)") in plain words. */
function engineObjection(action: string, code: string, now: Date, timeZone?: string): string {
  const hold = /^(\w+)_until:(.+)$/.exec(code);
  const verb = action === "wait" ? "would wait" : action === "escalate" ? "would hand this to a human" : "would not plan this";
  if (hold && HOLDS[hold[1]!]) return `The decision engine ${verb}: ${HOLDS[hold[1]!]} until ${when(hold[2]!, now, timeZone)}.`;
  return `The decision engine ${verb}: ${ENGINE_REASONS[code] ?? code}.`;
}

const REVIEW_MARK = "; flagged for review: ";

/**
 * The parts of a flag reason, in plain words, in the order they were raised:
 * the quality failure, the engine's objection, then a later flag's reason
 * (an agent's or an operator's), which is labelled as theirs.
 */
export function flagReasonsInWords(flagReason: string | null, now: Date, timeZone?: string): string[] {
  if (!flagReason) return ["Flagged, with no reason recorded."];
  const review = flagReason.indexOf(REVIEW_MARK);
  const system = review >= 0 ? flagReason.slice(0, review) : flagReason;
  const out: string[] = [];
  for (const part of system.split(/; (?=decision engine would )/)) {
    const objection = /^decision engine would (\w+) \((.*)\)$/.exec(part);
    if (objection) out.push(engineObjection(objection[1]!, objection[2]!, now, timeZone));
    else if (/^[a-z_]+: /.test(part)) out.push(`Quality check failed (${part.slice(0, part.indexOf(":"))}): ${part.slice(part.indexOf(":") + 2)}`);
    else out.push(part);
  }
  if (review >= 0) out.push(`Flagged for review by an agent or operator: ${flagReason.slice(review + REVIEW_MARK.length)}`);
  return out;
}

export interface ProvenanceLike {
  provider?: unknown;
  model?: unknown;
  fallback_reason?: unknown;
}

/** Who wrote the message, instead of a blanket "written by an AI model". */
export function writtenBy(provenance: ProvenanceLike | null | undefined): string {
  const provider = typeof provenance?.provider === "string" ? provenance.provider : undefined;
  const model = typeof provenance?.model === "string" ? provenance.model : undefined;
  const fellBack = typeof provenance?.fallback_reason === "string";
  switch (provider) {
    case "seed":
      return "demo data (the seed), not a model";
    case "template":
      return fellBack ? "the offline template (the model failed, so the template wrote it)" : "the offline template, not a model";
    case "openai":
      return `an AI model (${model ?? "unknown model"}, OpenAI-compatible API)`;
    case "sampling":
      return `the requesting agent's own model${model && model !== "client-model" ? ` (${model})` : ""}, through MCP sampling`;
    case undefined:
      return "an AI model (provenance not reported)";
    default:
      return `${provider}${model ? ` (${model})` : ""}`;
  }
}
