/**
 * The approval policy by business risk (RETIVO_POLICY, a JSON file): rules
 * over what a guarded call is about (action, data set, channel, offers in
 * the message, flag, playbook, requesting principal), first match wins, each
 * setting a tier: how many distinct operators must approve, whether the
 * requester's own operator may be one of them, expiry, reminder and
 * escalation times, or a plain deny. No rule matching keeps today's
 * behaviour (one human, the configured expiry). Validated once at start:
 * unknown keys and impossible rules stop the server with a message naming
 * them. No rule can ask for fewer than one human (the schema, and the store's
 * own check, refuse it).
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { ChannelSchema } from "../api/schemas.js";
import { ConfigError } from "../errors.js";
import type { ApprovalTier } from "../store/index.js";
import { OPERATOR_NAME } from "./operators.js";
import type { GuardedAction } from "./types.js";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "10m", "2h", "1d", or a number of seconds. */
const Duration = z
  .union([z.number().int().positive(), z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as "90s", "10m", "2h" or "1d"')])
  .transform((value) => (typeof value === "number" ? value * 1000 : Number(/^\d+/.exec(value)![0]) * UNITS[/[a-z]+$/.exec(value)![0]]!))
  .refine((ms) => ms > 0, "a duration above zero");

const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]).transform((value) => (Array.isArray(value) ? value : [value]) as z.output<T>[]);

const MatchSchema = z.strictObject({
  action: oneOrMany(z.enum(["approve", "rollback"])).optional(),
  data_set: z.enum(["live", "test"]).optional(),
  channel: oneOrMany(ChannelSchema).optional(),
  /** The message mentions a discount, price, percentage, promo code or free period. */
  offers: z.boolean().optional(),
  flagged: z.boolean().optional(),
  playbook: oneOrMany(z.string().min(1)).optional(),
  principal: oneOrMany(z.string().min(1)).optional(),
});

const RuleSchema = z
  .strictObject({
    name: z.string().min(1).max(80),
    match: MatchSchema.default({}),
    require: z.number().int().min(1, "at least one human must approve").max(20).optional(),
    requester_may_approve: z.boolean().optional(),
    expires_after: Duration.optional(),
    remind_after: Duration.optional(),
    escalate_after: Duration.optional(),
    deny: z.literal(true).optional(),
    deny_reason: z.string().min(1).max(300).optional(),
  })
  .superRefine((rule, ctx) => {
    const problem = (message: string) => ctx.addIssue({ code: "custom", message });
    if (rule.deny) {
      for (const key of ["require", "requester_may_approve", "expires_after", "remind_after", "escalate_after"] as const) {
        if (rule[key] !== undefined) problem(`a deny rule cannot also set ${key}`);
      }
      return;
    }
    if (rule.deny_reason !== undefined) problem("deny_reason needs deny: true");
    if (rule.require === undefined) problem("set require (how many distinct operators approve) or deny: true");
    const expires = rule.expires_after;
    if (expires !== undefined && rule.remind_after !== undefined && rule.remind_after >= expires) problem("remind_after must come before expires_after");
    if (expires !== undefined && rule.escalate_after !== undefined && rule.escalate_after >= expires) problem("escalate_after must come before expires_after");
    if (rule.remind_after !== undefined && rule.escalate_after !== undefined && rule.escalate_after <= rule.remind_after) problem("escalate_after must come after remind_after");
  });

export const PolicySchema = z.strictObject({
  /** Requesting principal → the operator who runs that agent (an operator's own `principal` says the same). */
  principals: z.record(z.string().min(1), z.string().regex(OPERATOR_NAME, "an operator name")).default({}),
  rules: z.array(RuleSchema).max(200),
});

export type PolicyRule = z.output<typeof RuleSchema>;
export type Policy = z.output<typeof PolicySchema>;

/** What a guarded call is about, as the policy's rules see it. */
export interface PolicySubject {
  action: GuardedAction;
  dataSet: "live" | "test";
  channel: string;
  /** The message offers something (a playbook's allowed offer, a discount, price, percentage, promo code). */
  offers: boolean;
  flagged: boolean;
  playbookId: string | null;
  principal: string;
}

export type PolicyVerdict = { kind: "deny"; rule: string; reason: string } | { kind: "tier"; rule: string | null; required: number; requesterMayApprove: boolean; ttlMs: number | null; remindAfterMs: number | null; escalateAfterMs: number | null };

function matches(rule: PolicyRule, subject: PolicySubject): boolean {
  const m = rule.match;
  if (m.action && !m.action.includes(subject.action)) return false;
  if (m.data_set && m.data_set !== subject.dataSet) return false;
  if (m.channel && !(m.channel as string[]).includes(subject.channel)) return false;
  if (m.offers !== undefined && m.offers !== subject.offers) return false;
  if (m.flagged !== undefined && m.flagged !== subject.flagged) return false;
  if (m.playbook && (subject.playbookId === null || !m.playbook.includes(subject.playbookId))) return false;
  if (m.principal && !m.principal.includes(subject.principal)) return false;
  return true;
}

/** Today's behaviour: one human, the configured expiry, no reminders. */
export const DEFAULT_VERDICT: PolicyVerdict = { kind: "tier", rule: null, required: 1, requesterMayApprove: true, ttlMs: null, remindAfterMs: null, escalateAfterMs: null };

export function verdictFor(policy: Policy | undefined, subject: PolicySubject): PolicyVerdict {
  const rule = policy?.rules.find((candidate) => matches(candidate, subject));
  if (!rule) return DEFAULT_VERDICT;
  if (rule.deny) return { kind: "deny", rule: rule.name, reason: rule.deny_reason ?? `the approval policy's rule "${rule.name}" refuses it` };
  return {
    kind: "tier",
    rule: rule.name,
    required: rule.require!,
    requesterMayApprove: rule.requester_may_approve ?? true,
    ttlMs: rule.expires_after ?? null,
    remindAfterMs: rule.remind_after ?? null,
    escalateAfterMs: rule.escalate_after ?? null,
  };
}

/** The tier stored on the request: the requester's own operator is barred when the rule says so and one is known. */
export function tierOf(verdict: Extract<PolicyVerdict, { kind: "tier" }>, requesterOperator: string | null): ApprovalTier {
  return {
    rule: verdict.rule,
    required: verdict.required,
    excludedOperator: verdict.requesterMayApprove ? null : requesterOperator,
    remindAfterMs: verdict.remindAfterMs,
    escalateAfterMs: verdict.escalateAfterMs,
  };
}

function issuesOf(error: z.ZodError, file: string): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.length ? issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "") : "(top level)";
    const unknown = issue.code === "unrecognized_keys" ? `unknown key${issue.keys.length === 1 ? "" : "s"} ${issue.keys.map((k) => `"${k}"`).join(", ")}` : issue.message;
    return `  ${path}: ${unknown}`;
  });
  return `The approval policy ${file} (RETIVO_POLICY) is not valid:\n${lines.join("\n")}`;
}

/** Reads and validates the policy file; throws a ConfigError naming every problem. */
export function parsePolicy(text: string, file: string): Policy {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`The approval policy ${file} (RETIVO_POLICY) is not JSON: ${(error as Error).message}.`);
  }
  const parsed = PolicySchema.safeParse(json);
  if (!parsed.success) throw new ConfigError(issuesOf(parsed.error, file));
  const names = new Set<string>();
  for (const rule of parsed.data.rules) {
    if (names.has(rule.name)) throw new ConfigError(`The approval policy ${file} (RETIVO_POLICY) names two rules "${rule.name}": rule names must be unique.`);
    names.add(rule.name);
  }
  return parsed.data;
}

export function readPolicy(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(`Cannot read the approval policy ${file} (RETIVO_POLICY): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
  return parsePolicy(text, file);
}

/**
 * What can only be judged against the store's operators: a rule needing more
 * distinct operators than exist (one fewer where the requester's own is
 * barred) could never be approved, and a principal mapped to an operator who
 * does not exist bars nobody.
 */
export function impossibleRules(policy: Policy, operators: readonly { name: string; principal: string | null }[]): string[] {
  const names = new Set(operators.map((o) => o.name));
  const problems: string[] = [];
  for (const [principal, operator] of Object.entries(policy.principals)) {
    if (!names.has(operator)) problems.push(`principals["${principal}"] names operator "${operator}", who does not exist (retivo-mcp operators add ${operator})`);
  }
  for (const rule of policy.rules) {
    if (rule.deny || rule.require === undefined) continue;
    const available = names.size - (rule.requester_may_approve === false && names.size > 0 ? 1 : 0);
    if (rule.require > 1 && rule.require > available) {
      problems.push(
        `rule "${rule.name}" needs ${rule.require} distinct operators${rule.requester_may_approve === false ? " besides the requester's own" : ""}, but only ${names.size} ${names.size === 1 ? "is" : "are"} configured (retivo-mcp operators add NAME)`,
      );
    }
  }
  return problems;
}
