/**
 * Event ids derived from what an event is rather than drawn at random: the same parts always give
 * the same id. Two writers that mean the same event (two leaders firing tick n of one stream) give
 * it the same id, so the store keeps it once (its idempotent-append rule) instead of twice.
 *
 * The id is a UUID (version 8, the layout for ids made by an application's own rule) taken from a
 * SHA-256 of the parts, each length-prefixed so that no two lists of parts read the same.
 */
import { createHash } from 'node:crypto';

export function derivedEventId(...parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${part.length}:${part};`);
  const bytes = hash.digest().subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
