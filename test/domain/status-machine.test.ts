/**
 * The status machine against the table in spec/domain.md, for every action
 * from every status: where it moves, where it is a no-op, and what the refusal
 * names. Guarded calls, the store and the REST server all read it from here.
 */
import { describe, expect, it } from "vitest";
import { STATUSES, type Status } from "../../src/api/schemas.js";
import { planTransition, targetOf, WouldMoveError, type Action } from "../../src/domain/status-machine.js";
import { IllegalTransitionError } from "../../src/errors.js";

/** domain.md, "[decided] Status set and transitions". */
const SPEC: Record<Action, { from: Status[]; to: Status }> = {
  approve: { from: ["planned", "paused"], to: "approved" },
  pause: { from: ["planned", "approved"], to: "paused" },
  reject: { from: ["planned", "paused", "approved"], to: "rejected" },
  rollback: { from: ["sent", "delivered"], to: "rolled_back" },
};

describe("the status machine", () => {
  for (const [action, rule] of Object.entries(SPEC) as [Action, (typeof SPEC)[Action]][]) {
    it(`${action}: moves from ${rule.from.join(", ")} to ${rule.to}, is a no-op at ${rule.to}, refuses the rest`, () => {
      expect(targetOf(action)).toBe(rule.to);
      for (const status of STATUSES) {
        if (status === rule.to) expect(planTransition(action, "int_x", status)).toEqual({ kind: "noop" });
        else if (rule.from.includes(status)) expect(planTransition(action, "int_x", status)).toEqual({ kind: "move", to: rule.to });
        else {
          let refusal: unknown;
          try {
            planTransition(action, "int_x", status);
          } catch (error) {
            refusal = error;
          }
          expect(refusal, `${action} from ${status}`).toBeInstanceOf(IllegalTransitionError);
          expect((refusal as IllegalTransitionError).message).toBe(
            `Cannot ${action} int_x: its status is '${status}', and ${action} is allowed only from ${rule.from.map((s) => `'${s}'`).join(", ")}.`,
          );
          expect(refusal).toMatchObject({ action, id: "int_x", current: status, allowedFrom: rule.from, httpStatus: 409 });
        }
      }
    });
  }

  it("knows the terminal statuses (domain.md): nothing but flag leaves them", () => {
    for (const status of ["failed", "rejected", "rolled_back", "suppressed"] as const) {
      for (const action of Object.keys(SPEC) as Action[]) {
        if (status !== SPEC[action].to) expect(() => planTransition(action, "int_x", status)).toThrow(IllegalTransitionError);
      }
    }
  });

  it("says what a no-op-only transition would have done", () => {
    expect(new WouldMoveError().message).toBe("the action would change the intervention");
  });
});
