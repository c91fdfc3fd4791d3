/**
 * What the writer adds after the text a provider wrote: the tenant's AI
 * disclosure line on model-written text (any channel) and, on email, the
 * footer the law asks for (the sender's postal address and an opt-out). Code
 * adds it, never a model, so every provider's email carries it the same way;
 * the quality checks then verify the body as it will be sent.
 */
import type { Channel } from "../api/schemas.js";
import type { MessagePolicy } from "../domain/catalog.js";

function footerText(channel: Channel, policy: MessagePolicy | null, generated: boolean): string {
  const parts: string[] = [];
  if (generated && policy?.ai_disclosure) parts.push(policy.ai_disclosure);
  if (channel === "email" && policy) {
    const legal = [policy.postal_address, policy.unsubscribe && `Unsubscribe: ${policy.unsubscribe}`].filter(Boolean);
    if (legal.length) parts.push(["--", ...legal].join("\n"));
  }
  return parts.length ? `\n\n${parts.join("\n\n")}` : "";
}

export function withFooter(body: string, channel: Channel, policy: MessagePolicy | null, generated: boolean): string {
  return `${body.trimEnd()}${footerText(channel, policy, generated)}`;
}

/** Characters the footer takes, so a model can be told how much room its own text has. */
export function footerLength(channel: Channel, policy: MessagePolicy | null, generated: boolean): number {
  return footerText(channel, policy, generated).length;
}
