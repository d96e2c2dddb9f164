/**
 * The live feed against real PostgreSQL, where an event too large for a NOTIFY payload (about
 * 8000 bytes) is only announced and must be read from the store: a read already in progress when
 * such an announcement arrives may have been taken before the event was stored.
 */
import { afterEach, expect, it } from 'vitest';
import { createContainer, LiveActor, type EventStore } from 'omniscient-actors';
import { postgresStore, type PostgresEventStore } from 'omniscient-actors/postgres';
import { describeWithPostgres, freshSchema, POSTGRES_URL } from '../engines/postgres/server.js';

const opened: PostgresEventStore[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

function open(schema: string): PostgresEventStore {
  const store = postgresStore({ connectionString: POSTGRES_URL }, { schema });
  opened.push(store);
  return store;
}

/**
 * The same store, but every stream read hands back its rows `delayMs` after reading them, as on a
 * busy server: the read's view of the stream is older than the moment it returns.
 */
function withSlowReads(store: EventStore, delayMs: number): EventStore {
  return new Proxy(store, {
    get(target, key) {
      if (key === 'readStream') {
        return async (...args: Parameters<EventStore['readStream']>) => {
          const events = await target.readStream(...args);
          await new Promise((resolve) => setTimeout(resolve, delayMs));
          return events;
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

class Ledger extends LiveActor<{ entries: number }> {
  protected override _state = { entries: 0 };
  entry_recorded() {
    this._state.entries += 1;
  }
}

async function eventually(check: () => void, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

describeWithPostgres('the live feed on PostgreSQL', () => {
  it('a resident LiveActor reaches the stream’s version when two writers store events too large to notify', async () => {
    const schema = freshSchema();
    const [reader, firstWriter, secondWriter] = [open(schema), open(schema), open(schema)];
    const actor = await new Ledger('ledger', createContainer({ store: withSlowReads(reader, 30) })).Load();
    const blob = 'x'.repeat(10_000);
    const perWriter = 10;
    await Promise.all(
      [firstWriter, secondWriter].map(async (writer, index) => {
        for (let entry = 0; entry < perWriter; entry++) {
          await writer.appendToStream('ledger', [{ name: 'entry_recorded', data: { index, entry, blob } }]);
        }
      }),
    );
    const stored = await reader.streamVersion('ledger');
    expect(stored).toBe(2 * perWriter);
    try {
      await eventually(() => expect(actor.version).toBe(stored));
      expect(actor.state.entries).toBe(stored);
    } finally {
      await actor.Dispose();
    }
  });
});
