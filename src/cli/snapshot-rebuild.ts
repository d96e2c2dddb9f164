/**
 * Recomputing a stream's snapshot for an actor class: the stream is loaded by the class in a
 * private memory store, exactly as `replay` does, from its first event; the snapshot the class's
 * own policy takes at that load (`snapshotEvery`, its fingerprint) is then saved in the user's
 * store. Nothing else is written there. A stream shorter than `snapshotEvery` gets none, as an
 * actor loading it would take none.
 */
import type { EventStore, NewSnapshot } from '../engines/engine.js';
import { HandlerError } from '../errors.js';
import { memoryStore } from '../index.js';
import { snapshotSettingsOf } from '../snapshots/snapshot-settings.js';
import {
  copyInto,
  makeForReplay,
  privateContainer,
  readEvents,
  type ReplayableClass,
} from '../inspection/replay-stream.js';

export type RebuildOutcome =
  | { readonly kind: 'saved'; readonly version: number }
  | { readonly kind: 'too short'; readonly version: number }
  | { readonly kind: 'not its stream' }
  | { readonly kind: 'handler failed'; readonly version: number; readonly error: HandlerError };

/** The class's `snapshotEvery` (inherited from the library's default), checked as an actor's is. */
export function snapshotEveryOf(actorClass: ReplayableClass): number {
  return snapshotSettingsOf(actorClass).every;
}

export async function rebuildSnapshot(
  target: EventStore,
  actorClass: ReplayableClass,
  stream: string,
  options: { readonly anyStream?: boolean } = {},
): Promise<RebuildOutcome> {
  const events = await readEvents(target, stream, await target.streamVersion(stream));
  // A stream of the class holds events it fired (their meta names it), unless asked for by name.
  if (!options.anyStream && !events.some((event) => event.meta['actor'] === actorClass.name)) {
    return { kind: 'not its stream' };
  }
  const inner = memoryStore();
  let taken: NewSnapshot | undefined;
  const capturing: EventStore = {
    ...inner,
    engine: inner.engine,
    limits: inner.limits,
    async saveSnapshot(snapshot) {
      if (taken === undefined || snapshot.version >= taken.version) taken = snapshot;
      await inner.saveSnapshot(snapshot);
    },
  };
  const container = privateContainer(actorClass, capturing);
  await copyInto(inner, stream, events);
  const actor = makeForReplay(actorClass, stream, container);
  try {
    await actor.Load();
  } catch (error) {
    if (error instanceof HandlerError) return { kind: 'handler failed', version: error.event.version, error };
    throw error;
  } finally {
    await actor.Dispose().catch(() => undefined);
  }
  const version = events.length;
  if (taken === undefined) return { kind: 'too short', version };
  await target.saveSnapshot(taken);
  return { kind: 'saved', version: taken.version };
}
