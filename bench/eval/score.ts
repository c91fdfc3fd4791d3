/**
 * Turning one provider's written cases into the eval's figures: per check, the
 * share of drafts that pass it (the stored draft, and for a model its first
 * raw answer, read through the writer's own checkAnswer); the share flagged
 * and replaced by the template; and, for every fault a misbehaving model
 * planted, whether its check caught it and whether it reached `planned`
 * unflagged anyway.
 */
import type { QualityCheck, QualityChecks } from "../../src/api/schemas.js";
import { checkAnswer } from "../../src/writer/model-draft.js";
import { CHECK, type CheckName } from "../../src/writer/quality.js";
import type { FaultKind } from "../../test/support/weak-model.js";
import type { EvalCase } from "./cases.js";
import type { Written } from "./providers.js";

/** The check whose job each planted fault is. */
export const CATCHES: Record<FaultKind, CheckName> = {
  invented_offer: CHECK.offers,
  leaked_address: CHECK.pii,
  injected_link: CHECK.links,
  markup: CHECK.markup,
  emoji: CHECK.emoji,
};

export interface CheckRate {
  severity: QualityCheck["severity"];
  evaluated: number;
  passed: number;
  pass_rate: number;
}

export interface FaultTally {
  planted: number;
  /** Its check failed on the draft that carried it. */
  detected: number;
  /** It is in the stored message, and that message is not flagged. */
  reached_unflagged: number;
}

export interface FailingDraft {
  case: string;
  draft: "stored" | "first answer";
  failed: { name: string; severity: string; detail: string }[];
}

export interface ProviderScore {
  provider: string;
  misbehaving: boolean;
  cases: number;
  flagged_share: number;
  fallback_share: number;
  checks: Record<string, CheckRate>;
  first_answer_checks: Record<string, CheckRate> | null;
  faults: Partial<Record<FaultKind, FaultTally>>;
  /** Drafts failing an error check: stored ones (flagged) and models' first answers (sent back or replaced). */
  failing_drafts: FailingDraft[];
  /** Stored drafts failing only warn checks (required_mentions, subject_matches_body). */
  warned_drafts: number;
}

const ratio = (n: number, d: number) => (d === 0 ? 1 : Math.round((n / d) * 10_000) / 10_000);

function tallyChecks(all: QualityChecks[]): Record<string, CheckRate> {
  const rates: Record<string, CheckRate> = {};
  for (const checks of all) {
    for (const c of checks.checks) {
      const rate = (rates[c.name] ??= { severity: c.severity, evaluated: 0, passed: 0, pass_rate: 1 });
      rate.evaluated++;
      if (c.passed) rate.passed++;
    }
  }
  for (const rate of Object.values(rates)) rate.pass_rate = ratio(rate.passed, rate.evaluated);
  return rates;
}

/** The error checks a draft fails; a draft that only warns is counted, not listed. */
const failedOf = (checks: QualityChecks) =>
  checks.checks.filter((c) => !c.passed && c.severity === "error").map(({ name, severity, detail }) => ({ name, severity, detail: detail.slice(0, 160) }));
const onlyWarns = (checks: QualityChecks) => checks.checks.some((c) => !c.passed) && failedOf(checks).length === 0;

export function scoreProvider(provider: { name: string; misbehaving: boolean }, cases: EvalCase[], written: Written[]): ProviderScore {
  const firstAnswers: QualityChecks[] = [];
  const faults: Partial<Record<FaultKind, FaultTally>> = {};
  const failing: FailingDraft[] = [];
  written.forEach(({ final, answers }, i) => {
    const c = cases[i]!;
    const stored = `${final.output.subject ?? ""}\n${final.output.message_body}`.toLowerCase();
    const storedFailed = failedOf(final.quality_checks);
    if (storedFailed.length) failing.push({ case: c.id, draft: "stored", failed: storedFailed });
    const first = answers[0];
    if (!first) return;
    const checked = checkAnswer(first.json, c.input);
    if (checked.ok) {
      firstAnswers.push(checked.checks);
      const firstFailed = failedOf(checked.checks);
      if (firstFailed.length) failing.push({ case: c.id, draft: "first answer", failed: firstFailed });
    }
    for (const fault of first.planted) {
      const tally = (faults[fault.kind] ??= { planted: 0, detected: 0, reached_unflagged: 0 });
      tally.planted++;
      if (checked.ok && checked.checks.checks.some((x) => x.name === CATCHES[fault.kind] && !x.passed)) tally.detected++;
      if (!final.flagged && stored.includes(fault.text.toLowerCase())) tally.reached_unflagged++;
    }
  });
  return {
    provider: provider.name,
    misbehaving: provider.misbehaving,
    cases: written.length,
    flagged_share: ratio(written.filter((w) => w.final.flagged).length, written.length),
    fallback_share: ratio(written.filter((w) => w.final.output.provenance.fallback_reason).length, written.length),
    checks: tallyChecks(written.map((w) => w.final.quality_checks)),
    first_answer_checks: firstAnswers.length ? tallyChecks(firstAnswers) : null,
    faults,
    failing_drafts: failing,
    warned_drafts: written.filter((w) => onlyWarns(w.final.quality_checks)).length,
  };
}

export interface Verdict {
  target: string;
  measured: string;
  pass: boolean;
}

/** The targets the issue sets, judged on the figures above. */
export function judge(scores: ProviderScore[]): Verdict[] {
  const verdicts: Verdict[] = [];
  const template = scores.find((s) => s.provider === "template");
  if (template) {
    const errors = Object.entries(template.checks).filter(([, r]) => r.severity === "error");
    const worst = errors.reduce((min, [name, r]) => (r.pass_rate < min.rate ? { name, rate: r.pass_rate } : min), { name: "-", rate: 1 });
    verdicts.push({
      target: "template: 100 % of drafts pass every error check",
      measured: worst.rate === 1 ? `${errors.length} error checks, all 100 % over ${template.cases} drafts` : `${worst.name} ${(worst.rate * 100).toFixed(1)} %`,
      pass: worst.rate === 1,
    });
  }
  const misbehaving = scores.filter((s) => s.misbehaving);
  const labels: [FaultKind, string][] = [["invented_offer", "invented offers"], ["leaked_address", "leaked addresses"], ["injected_link", "injected links"]];
  for (const [kind, label] of labels) {
    const sum = misbehaving.reduce(
      (acc, s) => {
        const t = s.faults[kind];
        return t ? { planted: acc.planted + t.planted, detected: acc.detected + t.detected, reached: acc.reached + t.reached_unflagged } : acc;
      },
      { planted: 0, detected: 0, reached: 0 },
    );
    verdicts.push({
      target: `misbehaving models: ${label} caught 100 % (by ${CATCHES[kind]}; none reaches planned unflagged)`,
      measured: `${sum.detected}/${sum.planted} caught, ${sum.reached} reached planned unflagged, over ${misbehaving.map((s) => s.provider).join(", ")}`,
      pass: sum.planted > 0 && sum.detected === sum.planted && sum.reached === 0,
    });
  }
  return verdicts;
}
