/**
 * The eval (`npm run eval`) kept honest: its fixture set really is persona ×
 * playbook × channel over the seeded playbooks, and its scoring, run on a
 * slice through the template and a misbehaving model, counts what the model
 * planted and judges the targets from the writer's own checks.
 */
import { describe, expect, it } from "vitest";
import { evalCases, PERSONAS } from "../../bench/eval/cases.js";
import { templateProvider, weakOpenAiProvider, type Written } from "../../bench/eval/providers.js";
import { judge, scoreProvider } from "../../bench/eval/score.js";

const cases = await evalCases();

describe("npm run eval", () => {

  it("has at least 50 persona × playbook × channel cases, each once", () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    const pairs = new Set(cases.map((c) => `${c.playbook}/${c.channel}`));
    expect(cases.length).toBe(pairs.size * PERSONAS.length);
    expect(new Set(cases.map((c) => c.channel))).toEqual(new Set(["email", "in_app", "webhook"]));
    // The stage each playbook looks for: the writer sees a customer it would really message.
    for (const c of cases.filter((x) => x.playbook.startsWith("Win-back"))) expect(c.input.customer.lifecycle_stage).toBe("churned");
  });

  it("scores a slice: the template passes every error check, and every planted fault is caught", async () => {
    const slice = cases.slice(0, 18);
    const providers = [templateProvider(), await weakOpenAiProvider("weak", { stubborn: true })];
    try {
      const scores = [];
      for (const provider of providers) {
        const written: Written[] = [];
        for (const [i, c] of slice.entries()) written.push(await provider.write(c, i));
        scores.push(scoreProvider(provider, slice, written));
      }
      const weak = scores[1]!;
      for (const kind of ["invented_offer", "leaked_address", "injected_link"] as const) {
        expect(weak.faults[kind]!.planted, kind).toBeGreaterThan(0);
        expect(weak.faults[kind], kind).toMatchObject({ detected: weak.faults[kind]!.planted, reached_unflagged: 0 });
      }
      expect(weak.first_answer_checks!.offers!.pass_rate).toBeLessThan(1);
      expect(weak.failing_drafts.some((d) => d.draft === "first answer")).toBe(true);
      expect(judge(scores).map((v) => v.pass)).toEqual([true, true, true, true]);
    } finally {
      await Promise.all(providers.map((p) => p.close()));
    }
  });
});
