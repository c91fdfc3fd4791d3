/**
 * Brand limits from the tenant settings: how many emoji a message may carry,
 * and which hosts it may link to. Plus plain, visible text on every channel:
 * markup in a body is either a rendering accident or someone trying to
 * smuggle a link or a script into a customer's inbox, and so are characters
 * that render as nothing.
 */
import type { QualityCheck } from "../api/schemas.js";
import type { MessagePolicy } from "../domain/catalog.js";
import { CHECK, check } from "./checks-common.js";
import { findEmoji, findLinks, findMarkup, hostAllowed, hostOf } from "./text-scan.js";
import { hiddenCharacters } from "../text/sanitize.js";

/** The hosts a message may link to: the listed ones and the host of a URL opt-out. */
export function allowedLinkHosts(policy: MessagePolicy | null): string[] {
  if (!policy) return [];
  const hosts = [...policy.link_hosts];
  const optOut = policy.unsubscribe && /^https?:\/\//i.test(policy.unsubscribe) ? hostOf(policy.unsubscribe) : null;
  if (optOut && !hostAllowed(optOut, hosts)) hosts.push(optOut);
  return hosts;
}

function linksCheck(message: string, policy: MessagePolicy | null): QualityCheck {
  const allowed = allowedLinkHosts(policy);
  const problems: string[] = [];
  for (const link of findLinks(message)) {
    const shown = link.text.slice(0, 60);
    if (link.host === null) problems.push(`links to '${shown}', a scheme no message may carry`);
    else if (!hostAllowed(link.host, allowed)) {
      problems.push(`links to ${link.host} ('${shown}'), ${allowed.length ? `not one of the listed hosts (${allowed.join(", ")})` : "but the tenant lists no link hosts"}`);
    }
  }
  return check(CHECK.links, "error", [...new Set(problems)], allowed.length ? `links only to ${allowed.join(", ")}` : "no links");
}

function emojiCheck(message: string, policy: MessagePolicy | null): QualityCheck {
  const found = findEmoji(message);
  const max = policy?.max_emoji ?? null;
  const problems = max !== null && found.length > max ? [`${found.length} emoji (${found.slice(0, 5).join(" ")}); the brand allows ${max}`] : [];
  return check(CHECK.emoji, "error", problems, max === null ? "no emoji limit" : `${found.length} emoji, within the brand's ${max}`);
}

function markupCheck(message: string): QualityCheck {
  const found = findMarkup(message);
  return check(CHECK.markup, "error", found.map((m) => `contains markup '${m}'`), "plain text");
}

/**
 * Tag characters, zero-width and bidi controls can carry words the approver
 * never sees on any screen (they are shown escaped there), so a message that
 * holds them does not go out without a human looking at why.
 */
function hiddenCharactersCheck(message: string): QualityCheck {
  const found = hiddenCharacters(message);
  return check(CHECK.hiddenCharacters, "error", found.length ? [`contains characters that show as nothing or reorder text (${found.slice(0, 6).join(" ")})`] : [], "no hidden characters");
}

export function brandLimitChecks(message: string, policy: MessagePolicy | null): QualityCheck[] {
  return [emojiCheck(message, policy), linksCheck(message, policy), markupCheck(message), hiddenCharactersCheck(message)];
}
