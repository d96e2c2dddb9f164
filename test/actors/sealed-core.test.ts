/**
 * The actor core is sealed: a user's member can never replace a piece of the library's machinery,
 * and one that would replace a public member is refused at once with UsageError.
 */
import { describe, expect, it } from 'vitest';
import {
  Actor,
  createContainer,
  InvalidEventError,
  LiveActor,
  memoryStore,
  UsageError,
} from 'omniscient-actors';

const container = () => createContainer({ store: memoryStore() });

describe('a sealed actor core', () => {
  for (const name of ['catchUp', 'applyEvent', 'settled', 'exclusive', 'appendFired', 'runHandler']) {
    it(`a command named ${name} is just a command: Load still applies every event`, async () => {
      const store = memoryStore();
      await store.appendToStream('c', [{ name: 'counted' }, { name: 'counted' }]);
      const Counter = class extends LiveActor<{ count: number }> {
        override _state = { count: 0 };
        counted() {
          this._state.count++;
        }
      };
      Object.defineProperty(Counter.prototype, name, {
        value(this: InstanceType<typeof Counter>) {
          return this.Fire('counted');
        },
      });
      const counter = await new Counter('c', createContainer({ store })).Load();
      expect(counter.version).toBe(2);
      expect(counter.state.count).toBe(2);
      await (counter as unknown as Record<string, () => Promise<unknown>>)[name]?.();
      expect(counter.state.count).toBe(3);
      await counter.Dispose();
    });
  }

  for (const member of ['Load', 'Fire', 'Flush', 'Dispose', 'RerunOnConflict']) {
    it(`a subclass method named ${member} is refused at construction`, () => {
      const Overriding = class extends LiveActor {};
      Object.defineProperty(Overriding.prototype, member, { value: () => undefined });
      expect(() => new Overriding('x', container())).toThrow(UsageError);
      expect(() => new Overriding('x', container())).toThrow(new RegExp(`"${member}"`));
    });
  }

  it('a subclass accessor named state or version is refused at construction', () => {
    class StateGetter extends Actor {
      override get state() {
        return {};
      }
    }
    expect(() => new StateGetter('x', container())).toThrow(UsageError);
  });

  it('a subclass field that shadows a library member is refused on first use', async () => {
    class Shadowing extends Actor {
      override Load = async () => this;
    }
    const actor = new Shadowing('x', container());
    expect(() => actor.Fire('happened')).toThrow(UsageError);
  });

  it('a field that shadows a library member is refused before anything is stored, even when a base constructor fired', async () => {
    const store = memoryStore();
    const hook: unknown[] = [];
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const fired: Promise<unknown>[] = [];
    class Base extends Actor {
      constructor(id: string, container: ReturnType<typeof createContainer>) {
        super(id, container);
        fired.push(this.Fire('created'));
      }
    }
    class Sub extends Base {
      override Flush = async () => undefined;
    }
    new Sub('s', createContainer({ store, logger: quiet, onError: (error) => hook.push(error) }));
    await expect(fired[0]).rejects.toBeInstanceOf(UsageError);
    expect(hook[0]).toBeInstanceOf(UsageError);
    expect(await store.readStream('s')).toEqual([]);
  });

  it('an event named then is refused: the actor would become a thenable', () => {
    const actor = new (class extends Actor {})('x', container());
    expect(() => actor.Fire('then')).toThrow(InvalidEventError);
  });

  it('a subclass method named then is refused: await actor.Load() would hang', () => {
    class Thenable extends Actor {
      then() {}
    }
    expect(() => new Thenable('x', container())).toThrow(UsageError);
  });

  it('overriding toString or other Object.prototype members stays allowed', async () => {
    class Described extends Actor {
      override toString() {
        return `Described(${this.id})`;
      }
    }
    const described = await new Described('d', container()).Load();
    expect(String(described)).toBe('Described(d)');
  });
});
