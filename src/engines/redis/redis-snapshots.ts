/**
 * Snapshots in Redis: one hash field per stream and key (`JSON [stream, key]`), holding
 * `[version, fingerprint, at, state]` as JSON, replaced only by a snapshot of the same or a higher
 * version (checked inside a script, so a slow writer can never put an older state back).
 */
import { CorruptEventError } from '../../errors.js';
import type { Snapshot } from '../engine.js';
import type { PreparedSnapshot } from '../snapshot-rules.js';

/** KEYS: snapshots. ARGV: field, version, record. Answers 1 when saved, 0 when a newer one stays. */
export const SNAPSHOT_SCRIPT = `
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if stored then
  local version = tonumber(string.match(stored, '^%[(%d+),'))
  if version and version > tonumber(ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
`;

export function snapshotRecord(snapshot: PreparedSnapshot, at: string): string {
  return `[${snapshot.version},${JSON.stringify(snapshot.fingerprint)},${JSON.stringify(at)},${snapshot.stateJson}]`;
}

export function snapshotFromRecord(record: string, stream: string, key: string): Snapshot {
  let parsed: unknown;
  try {
    parsed = JSON.parse(record);
  } catch (error) {
    throw new CorruptEventError({ stream }, `the snapshot for key "${key}" is not valid JSON`, {
      cause: error,
    });
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) {
    throw new CorruptEventError({ stream }, `the snapshot for key "${key}" has a malformed record`);
  }
  const [version, fingerprint, at, state] = parsed as unknown[];
  if (!Number.isSafeInteger(version) || typeof fingerprint !== 'string' || typeof at !== 'string') {
    throw new CorruptEventError({ stream }, `the snapshot for key "${key}" has a malformed record`);
  }
  return { stream, key, version: version as number, fingerprint, state, at };
}
