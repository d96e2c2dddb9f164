/**
 * A store that fails for a moment loses no event and stores none twice: the append is sent again
 * with the same event ids, which the store answers as a retry.
 */
import { describe, expect, it } from 'vitest';
import {
  Actor,
  createContainer,
  LiveActor,
  memoryStore,
  StoreUnavailableError,
  type Container,
  type EventStore,
} from 'omniscient-actors';

/** Stores the next append, then reports the store unavailable as if the reply was lost. */
function loseNextReply(inner: EventStore): EventStore & { armed: boolean } {
  const wrapper = {
    ...inner,
    armed: false,
    async appendToStream(...args: Parameters<EventStore['appendToStream']>) {
      const result = await inner.appendToStream(...args);
      if (wrapper.armed) {
        wrapper.armed = false;
        throw new StoreUnavailableError('the connection dropped before the reply');
      }
      return result;
    },
  };
  return wrapper;
}

function counterOf<Kind extends typeof Actor | typeof LiveActor>(Base: Kind) {
  return class Counter extends (Base as typeof LiveActor)<{ count: number }> {
    constructor(id: string, container: Container) {
      super(id, container);
      this._state = { count: 0 };
    }
    counted() {
      this._state.count++;
    }
  };
}

describe('a store that fails for a moment', () => {
  for (const Base of [Actor, LiveActor]) {
    it(`a Fire whose append was stored but whose reply was lost resolves, stored once (${Base.name})`, async () => {
      const store = loseNextReply(memoryStore());
      const container = createContainer({ store });
      const Counter = counterOf(Base);
      const counter = await new Counter('c', container).Load();
      store.armed = true;
      const stored = await counter.Fire('counted');
      await counter.Flush();
      expect(stored.version).toBe(1);
      expect(await store.readStream('c')).toHaveLength(1);
      expect(counter.state.count).toBe(1);
      expect(counter.version).toBe(1);
      await counter.Dispose();
    });
  }
});
