import { describe, expect, it } from 'vitest';
import {
  Actor,
  createContainer,
  HandlerError,
  InvalidActorIdError,
  InvalidEventError,
  memoryStore,
  UsageError,
} from 'omniscient-actors';

class Probe extends Actor {
  calls: string[] = [];
  counted(data: { by: number }) {
    this._state['count'] = ((this._state['count'] as number | undefined) ?? 0) + data.by;
  }
  override toString() {
    this.calls.push('toString');
    return 'probe';
  }
  get accessor() {
    this.calls.push('accessor');
    return 1;
  }
}

class ChildProbe extends Probe {
  override counted(data: { by: number }) {
    super.counted({ by: data.by * 10 });
  }
}

const baseClassMembers = ['constructor', '__proto__', 'Load', 'Fire', 'Flush', 'toString', 'hasOwnProperty'];

describe('handler dispatch', () => {
  it.each(baseClassMembers)('an event named %s cannot be fired', async (name) => {
    const container = createContainer({ store: memoryStore() });
    const probe = await new Probe('p', container).Load();
    expect(() => probe.Fire(name, {})).toThrow(InvalidEventError);
    await probe.Flush();
    expect(await container.store.readStream('p')).toEqual([]);
  });

  it('events named after base-class members, Object.prototype members or accessors never run them', async () => {
    const store = memoryStore();
    const names = [
      ...baseClassMembers,
      'appendFired',
      'catchUp',
      'applyEvent',
      'state',
      'accessor',
      'valueOf',
    ];
    await store.appendToStream(
      'p',
      names.map((name) => ({ name, data: {} })),
    );
    const probe = await new Probe('p', createContainer({ store })).Load();
    expect(probe.version).toBe(names.length);
    expect(probe.unhandledEvents).toBe(names.length);
    expect(probe.calls).toEqual([]);
    expect(probe.state).toEqual({});
  });

  it('a handler receives the data and the stored event, and an override wins', async () => {
    const container = createContainer({ store: memoryStore() });
    const child = await new ChildProbe('c', container).Load();
    const stored = await child.Fire('counted', { by: 2 });
    expect(child.state).toEqual({ count: 20 });
    expect(stored).toMatchObject({ stream: 'c', name: 'counted', version: 1, data: { by: 2 } });
  });

  it('a handler that fires is refused: handlers only change state', async () => {
    class Firing extends Actor {
      started() {
        void this.Fire('echo', {});
      }
    }
    const store = memoryStore();
    await store.appendToStream('f', [{ name: 'started' }]);
    const error = await new Firing('f', createContainer({ store })).Load().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HandlerError);
    expect((error as HandlerError).cause).toBeInstanceOf(UsageError);
    expect(await store.readStream('f')).toHaveLength(1);
  });

  it('a handler that throws stops Load before that event, with the event named', async () => {
    class Fragile extends Actor {
      ok() {
        this._state['ok'] = true;
      }
      broken() {
        throw new Error('boom');
      }
    }
    const store = memoryStore();
    await store.appendToStream('x', [{ name: 'ok' }, { name: 'broken' }, { name: 'ok' }]);
    const fragile = new Fragile('x', createContainer({ store }));
    const error = await fragile.Load().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HandlerError);
    expect(error).toMatchObject({ code: 'HANDLER_FAILED', event: { name: 'broken', version: 2 } });
    expect(fragile.version).toBe(1);
  });

  it('an actor id must be a valid stream id', () => {
    const container = createContainer({ store: memoryStore() });
    expect(() => new Probe('', container)).toThrow(InvalidActorIdError);
    expect(() => new Probe('bad\nid', container)).toThrow(InvalidActorIdError);
    expect(() => new Probe('ok', undefined as never)).toThrow(UsageError);
  });
});
