/**
 * What a tool makes from a store result (its text lines), made once per
 * result the store shares. The SQLite engine's read cache hands out the same
 * frozen object until the store changes (store/sqlite/read-cache.ts), and a
 * frozen object cannot change, so neither can what is made from it; anything
 * not frozen (the remote API's answers) is made each time.
 */
export function oncePerFrozen<T extends object, R>(make: (value: T) => R): (value: T) => R {
  const made = new WeakMap<T, R>();
  return (value) => {
    if (!Object.isFrozen(value)) return make(value);
    if (made.has(value)) return made.get(value)!;
    const result = make(value);
    made.set(value, result);
    return result;
  };
}
