/**
 * Which elected kind holds each id in this process, per store. One id has one leader, elected
 * through one lease: a `OneActor` leader of an id would never tick for a `TickActor` of the same
 * id, so the two kinds may not share an id. Within a process that is refused at `Load` with
 * `UsageError`; across processes it is the application's rule (see the README).
 */
import type { EventStore } from '../engines/engine.js';
import { UsageError } from '../errors.js';

interface Claim {
  readonly ticking: boolean;
  holders: number;
}

const claims = new WeakMap<EventStore, Map<string, Claim>>();

/** Claims `id` for one loaded instance of a kind; returns the release, to call once at `Dispose`. */
export function claimElectedId(store: EventStore, id: string, ticking: boolean): () => void {
  let byId = claims.get(store);
  if (byId === undefined) claims.set(store, (byId = new Map()));
  const claim = byId.get(id);
  if (claim !== undefined && claim.ticking !== ticking) {
    const [mine, theirs] = ticking ? ['TickActor', 'OneActor'] : ['OneActor', 'TickActor'];
    throw new UsageError(
      `"${id}" is held by a ${theirs} in this process; a ${mine} cannot share its id (one id, one leader)`,
    );
  }
  const held = claim ?? { ticking, holders: 0 };
  held.holders++;
  byId.set(id, held);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--held.holders === 0 && byId.get(id) === held) byId.delete(id);
  };
}
