/**
 * The snapshot settings of an actor class, read from its static fields and checked once per class:
 * a mistake is a `UsageError` at construction, naming the class and the field.
 *
 * - `snapshotEvery`: a whole number >= 0; a snapshot is taken each time the stored version has
 *   advanced that much since the last one the actor knows of; `0` turns snapshots off (none is
 *   written, none is read).
 * - `snapshotVersion`: `undefined`, or a non-empty string that pins the fingerprint
 *   (`fingerprint.ts`).
 */
import { describeValue } from '../engines/describe-value.js';
import { UsageError } from '../errors.js';

/** The statics of an actor class that snapshots read. */
export interface SnapshotClass {
  readonly name: string;
  readonly snapshotEvery?: unknown;
  readonly snapshotVersion?: unknown;
  readonly upcasters?: unknown;
}

export interface SnapshotSettings {
  /** Stored events between two snapshots; 0: no snapshots. */
  readonly every: number;
  /** The pinned version of the handlers' meaning, if the class pins one. */
  readonly pinned: string | undefined;
}

const checked = new WeakMap<object, SnapshotSettings>();

export function snapshotSettingsOf(actorClass: SnapshotClass): SnapshotSettings {
  const known = checked.get(actorClass);
  if (known !== undefined) return known;
  const { name, snapshotEvery: every, snapshotVersion: pinned } = actorClass;
  if (typeof every !== 'number' || !Number.isSafeInteger(every) || every < 0) {
    throw new UsageError(
      `${name}.snapshotEvery must be a whole number >= 0 (0 turns snapshots off), got ${describeValue(every)}`,
    );
  }
  if (pinned !== undefined && (typeof pinned !== 'string' || pinned.length === 0)) {
    throw new UsageError(`${name}.snapshotVersion must be a non-empty string, got ${describeValue(pinned)}`);
  }
  const settings: SnapshotSettings = { every, pinned };
  checked.set(actorClass, settings);
  return settings;
}
