/**
 * A batch of fired events some of which another writer already stored with the same ids (two
 * nodes firing the same reaction, whose ids derive from its cause): the stored ones are taken as
 * landed, the rest is appended, and nothing is stored twice. Ids stored by something unrelated are
 * still refused.
 */
import { describe, expect, it } from 'vitest';
import {
  Actor,
  createContainer,
  DuplicateEventError,
  LiveActor,
  memoryStore,
  type Container,
} from 'omniscient-actors';

function sequentialIds(): () => string {
  let next = 0;
  return () => `id-${++next}`;
}

function recorderOf(Base: typeof Actor | typeof LiveActor) {
  return class Recorder extends (Base as typeof Actor)<{ names: string[] }> {
    constructor(id: string, container: Container) {
      super(id, container);
      this._state = { names: [] };
    }
    a() {
      this._state.names.push('a');
    }
    b() {
      this._state.names.push('b');
    }
  };
}

describe('a batch whose first events another writer already stored', () => {
  for (const Base of [Actor, LiveActor]) {
    it(`takes those as landed and appends the rest, once (${Base.name})`, async () => {
      const store = memoryStore();
      const Recorder = recorderOf(Base);
      const recorder = await new Recorder('x', createContainer({ store, newId: sequentialIds() })).Load();
      await store.appendToStream('x', [{ id: 'id-1', name: 'a' }]);
      const [first, second] = await Promise.all([recorder.Fire('a'), recorder.Fire('b')]);
      expect([first.id, first.version, second.id, second.version]).toEqual(['id-1', 1, 'id-2', 2]);
      expect((await store.readStream('x')).map((event) => event.id)).toEqual(['id-1', 'id-2']);
      expect(recorder.state.names).toEqual(['a', 'b']);
      await recorder.Dispose();
    });

    it(`still refuses an id that something else stored (${Base.name})`, async () => {
      const store = memoryStore();
      const Recorder = recorderOf(Base);
      const recorder = await new Recorder(
        'x',
        createContainer({ store, newId: sequentialIds(), onError: () => undefined }),
      ).Load();
      await store.appendToStream('elsewhere', [{ id: 'id-1', name: 'a' }]);
      await expect(recorder.Fire('a')).rejects.toBeInstanceOf(DuplicateEventError);
      expect(await store.readStream('x')).toEqual([]);
      await recorder.Dispose();
    });
  }
});
