/**
 * Tools make their text once per store result the SQLite read cache shares
 * (tools/once-per-frozen.ts): a frozen result gives the same text without
 * making it again; anything not frozen (an API answer) is made each time, so
 * a result changed in place is never described as it was.
 */
import { describe, expect, it } from "vitest";
import { oncePerFrozen } from "../../src/tools/once-per-frozen.js";

describe("text made once per shared result", () => {
  it("makes a frozen result's text once, and each other result's its own", () => {
    let made = 0;
    const line = oncePerFrozen((row: { id: string }) => `row ${row.id} #${++made}`);
    const shared = Object.freeze({ id: "a" });
    expect(line(shared)).toBe("row a #1");
    expect(line(shared)).toBe("row a #1");
    expect(line(Object.freeze({ id: "b" }))).toBe("row b #2");
    expect(made).toBe(2);
  });

  it("makes the text of a result that is not frozen every time, seeing its changes", () => {
    const line = oncePerFrozen((row: { status: string }) => `status ${row.status}`);
    const answer = { status: "planned" };
    expect(line(answer)).toBe("status planned");
    answer.status = "approved";
    expect(line(answer)).toBe("status approved");
  });
});
