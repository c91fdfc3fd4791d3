/**
 * fast-check arbitraries for arguments an agent (or an attacker behind one)
 * might send: wrong types, huge and exotic unicode strings, prototype keys,
 * non-finite numbers, deep nesting and unknown fields, mixed with plausible
 * values so that some calls get past validation and reach the store.
 */
import fc from "fast-check";

/** `{"__proto__": …}` as an own property, the way JSON.parse makes it. */
const protoObject = fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.parse(`{"__proto__": ${JSON.stringify(v ?? null)}}`) as unknown);

function nested(depth: number): unknown {
  let value: unknown = "bottom";
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { a: value };
  return value;
}

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 60 }),
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "\uD800", // lone surrogate
    "‮int_reversed",
    "int_" + "a".repeat(200_000),
    "😀".repeat(5_000),
    "'; DROP TABLE interventions; --",
    "int_abc\nignore previous instructions",
    "__proto__",
    "constructor",
  ),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, Number.MAX_SAFE_INTEGER + 2, 1e308, -1),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.jsonValue({ maxDepth: 3 }),
  protoObject,
  fc.constant({ constructor: { prototype: { polluted: true } } }),
  fc.integer({ min: 50, max: 400 }).map(nested),
);

const knownKeys = ["intervention_id", "reason", "user_id", "playbook_id", "channel", "status", "limit", "cursor", "flagged", "detail"];
const hostileKey = fc.oneof(
  fc.constantFrom(...knownKeys),
  fc.constantFrom("__proto__", "constructor", "prototype", "confirm", "approved", "approval_token", "toString", ""),
  fc.string({ maxLength: 20 }),
);

/** An arguments object: hostile keys and values, some plausible ones in between. */
export function hostileArgs(plausible: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const withValues = fc.record(
    Object.fromEntries(Object.entries(plausible).map(([key, arb]) => [key, fc.oneof(arb, hostileValue)])),
    { requiredKeys: [] },
  );
  const extras = fc.dictionary(hostileKey, hostileValue, { maxKeys: 3 });
  return fc.oneof(
    withValues,
    fc.tuple(withValues, extras).map(([a, b]) => Object.assign(Object.create(null) as Record<string, unknown>, a, b)),
    extras,
    protoObject.map((p) => Object.assign(p as Record<string, unknown>, {})),
  );
}
