/**
 * The placeholders an expected value may hold where the exact value cannot be known in advance
 * (a generated token, an id, a time). Each is a string that stands for every value of a kind; a
 * value is checked against it by `satisfiesPlaceholder`, which never throws.
 */

export const PLACEHOLDERS = [
  '{string}',
  '{number}',
  '{boolean}',
  '{object}',
  '{array}',
  '{uuid}',
  '{date}',
  '{any}',
] as const;

/** One of the placeholder strings, e.g. `'{uuid}'`. */
export type Placeholder = (typeof PLACEHOLDERS)[number];

const placeholderSet: ReadonlySet<unknown> = new Set(PLACEHOLDERS);

export function isPlaceholder(value: unknown): value is Placeholder {
  return placeholderSet.has(value);
}

// Any UUID version (and the nil UUID): ids may come from a user's own generator.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// An ISO-8601 date-time: calendar date, `T`, hours and minutes, optional seconds and fraction, and
// an optional offset (without one it is a local time, which ISO-8601 allows).
const ISO_DATE_TIME =
  /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-](\d{2}):?(\d{2}))?$/;

/** True when `value` is a value of the kind `placeholder` stands for. */
export function satisfiesPlaceholder(placeholder: Placeholder, value: unknown): boolean {
  switch (placeholder) {
    case '{string}':
      return typeof value === 'string';
    case '{number}':
      return typeof value === 'number' && !Number.isNaN(value);
    case '{boolean}':
      return typeof value === 'boolean';
    case '{object}':
      return isPlainObject(value);
    case '{array}':
      return Array.isArray(value);
    case '{uuid}':
      return typeof value === 'string' && UUID.test(value);
    case '{date}':
      return value instanceof Date ? !Number.isNaN(value.getTime()) : isIsoDateTime(value);
    case '{any}':
      return true;
  }
}

/** An object made by `{}` or `Object.create(null)`: not an array, a Date, a Map or a class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** True for an ISO-8601 date-time string naming a real instant (`2024-02-30T…` is refused). */
export function isIsoDateTime(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const parts = ISO_DATE_TIME.exec(value);
  if (parts === null) return false;
  // Absent optional parts read as 0, which is always in range.
  const [year, month, day, hours, minutes, seconds, offsetHours, offsetMinutes] = parts
    .slice(1)
    .map((part) => (part === undefined ? 0 : Number(part))) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  // 24:00 and leap seconds are legal ISO-8601 but no JavaScript Date holds them; refusing them
  // keeps `{date}` to strings that `new Date()` reads back as the same instant.
  if (hours > 23 || minutes > 59 || seconds > 59 || offsetHours > 23 || offsetMinutes > 59) return false;
  return !Number.isNaN(Date.parse(value));
}

function daysInMonth(year: number, month: number): number {
  // `Date.UTC` would read years 0 to 99 as 1900 to 1999.
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(year, month, 0);
  return lastDay.getUTCDate();
}
