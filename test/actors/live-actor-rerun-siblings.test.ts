/**
 * Actors of one id in one process never conflict with each other (`stream-lanes.ts`): each append
 * hands its stored events to the live feed at once (`LiveFeed.stored`), an append made by
 * `RerunOnConflict` too, so a sibling that appends next already knows them.
 */
import { describe, expect, it } from 'vitest';
import {
  ConcurrencyError,
  createContainer,
  LiveActor,
  memoryStore,
  type EventNotification,
  type EventStore,
  type NotificationListener,
} from 'omniscient-actors';

class Seats extends LiveActor<{ taken: string[] }> {
  protected override _state = { taken: [] as string[] };
  Take(who: string) {
    return this.RerunOnConflict(() => this.Fire('taken', { who }));
  }
  Sit(who: string) {
    return this.Fire('taken', { who });
  }
  taken(data: { who: string }) {
    this._state.taken.push(data.who);
  }
}

/** The store as one process sees it, counting conflicts; notifications reach it only on `deliver`. */
function slowNotifications(inner: EventStore) {
  const held: Array<() => void> = [];
  let conflicts = 0;
  const store: EventStore = {
    ...inner,
    engine: inner.engine,
    limits: inner.limits,
    async appendToStream(stream, events, options) {
      try {
        return await inner.appendToStream(stream, events, options);
      } catch (error) {
        if (error instanceof ConcurrencyError) conflicts++;
        throw error;
      }
    },
    subscribe(listener: NotificationListener, options) {
      return inner.subscribe((notifications: readonly EventNotification[]) => {
        held.push(() => listener(notifications));
      }, options);
    },
  };
  return {
    store,
    get conflicts() {
      return conflicts;
    },
    deliver: () => held.splice(0).forEach((delivery) => delivery()),
  };
}

describe('RerunOnConflict beside another actor of its id in the same process', () => {
  it('hands its stored events to the feed, so the sibling appending next does not conflict', async () => {
    const connection = slowNotifications(memoryStore());
    const container = createContainer({ store: connection.store });
    const plain = await new Seats('room', container).Load();
    const rerun = await new Seats('room', container).Load();

    await plain.Sit('ann'); // handed over through LiveFeed.stored: the sibling knows it
    await rerun.Take('bob'); // expected 1, stored at 2: nobody is told
    await plain.Sit('cy');
    expect(connection.conflicts).toBe(0);

    connection.deliver();
    await Promise.all([plain.Dispose(), rerun.Dispose()]);
  });
});
