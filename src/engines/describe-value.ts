/**
 * How an error message shows a value a caller passed where something else was expected. It never
 * throws, whatever the value: a message built for a refusal must not itself fail with an untyped
 * `TypeError` (`JSON.stringify(1n)`, `String(Object.create(null))`, a revoked `Proxy`), which would
 * replace the typed error the caller was meant to get.
 */

const MAX_SHOWN_LENGTH = 60;

export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value.length > MAX_SHOWN_LENGTH ? `${value.slice(0, MAX_SHOWN_LENGTH)}…` : value);
    case 'bigint':
      return `${value.toString()}n (a bigint)`;
    case 'symbol':
      return value.toString();
    case 'function':
      return 'a function';
    case 'object':
      return value === null ? 'null' : describeObject(value);
    default:
      // number, boolean, undefined: String() of these cannot fail.
      return String(value);
  }
}

function describeObject(value: object): string {
  try {
    if (Array.isArray(value)) return 'an array';
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : 'a Date';
  } catch {
    // A revoked Proxy throws on Array.isArray: it is still "an object" to the reader.
  }
  return 'an object';
}
