/**
 * How values appear in failure messages: one short line for a mismatch, and a stable multi-line
 * layout for the expected-versus-actual block, so that equal values always print as equal lines.
 */
import { inspect } from 'node:util';
import { isPlaceholder } from './placeholders.js';

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `data` + `token` → `data.token`; keys that are not identifiers are quoted: `data["a b"]`. */
export function propertyPath(path: string, key: string): string {
  if (IDENTIFIER.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

export function indexPath(path: string, index: number): string {
  return `${path}[${index}]`;
}

/** A value on one line, cut to a readable length; a placeholder prints bare, as `{string}`. */
export function formatShort(value: unknown): string {
  if (isPlaceholder(value)) return value;
  const text = inspect(value, {
    depth: 3,
    breakLength: Infinity,
    compact: true,
    maxArrayLength: 20,
    maxStringLength: 200,
  });
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** A value laid out one property per line, the layout the line diff compares. */
export function formatBlock(value: unknown): string {
  return inspect(value, {
    depth: null,
    compact: false,
    breakLength: 80,
    maxArrayLength: null,
    maxStringLength: null,
  });
}
