/**
 * The state after an event, as the inspector shows it: whatever an actor's state holds, it is shown
 * as it is, and a class the inspector cannot build is said so.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Actor, memoryStore, type Container } from '../../src/index.js';
import { startInspector, type RunningInspector } from '../../src/inspector/inspector-server.js';
import type { ReplayableClass } from '../../src/inspection/replay-stream.js';
import { request } from './http-get.js';

let running: RunningInspector | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

interface AccountState {
  profile?: unknown;
  lastError?: Error;
  format?: (cents: number) => string;
  opened?: boolean;
}

class Account extends Actor<AccountState> {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = {};
  }
  opened(data: { profile: unknown }) {
    this._state.profile = data.profile;
  }
  failed(data: { message: string }) {
    this._state.lastError = new Error(data.message);
  }
}

/** A state holding a function, which the display form shows as `[Function name]`. */
class Formatted extends Actor<AccountState> {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = {
      format: function euros(cents: number) {
        return `${cents / 100} €`;
      },
    };
  }
  opened() {
    this._state.opened = true;
  }
}

/** A class taking more constructor arguments than the id and the container, as the contract allows. */
class Priced extends Actor<{ currency: string }> {
  constructor(id: string, container: Container, currency: string) {
    super(id, container);
    this._state = { currency: currency.toUpperCase() };
  }
  opened() {}
}

async function stateOf(actor: string, events: { name: string; data?: unknown }[], version: number) {
  const store = memoryStore();
  await store.appendToStream('account-1', events);
  running = await startInspector({
    store,
    storeDescription: 'memory',
    port: 0,
    actors: [Account, Formatted, Priced] as unknown as ReplayableClass[],
  });
  const answer = await request(running.port, `/api/state?stream=account-1&version=${version}&actor=${actor}`);
  return { status: answer.status, body: JSON.parse(answer.body) as Record<string, unknown> };
}

describe('the state after an event', () => {
  it('a key named __proto__ in the state is shown, as the event data that put it there is', async () => {
    const data = JSON.parse('{"profile": {"__proto__": {"admin": true}, "name": "ada"}}') as unknown;
    const { status, body } = await stateOf('Account', [{ name: 'opened', data }], 1);
    expect(status).toBe(200);
    expect(JSON.stringify(body['state'])).toContain('__proto__');
  });

  it('an Error held in the state is shown with its message', async () => {
    const { status, body } = await stateOf(
      'Account',
      [
        { name: 'opened', data: { profile: {} } },
        { name: 'failed', data: { message: 'card declined' } },
      ],
      2,
    );
    expect(status).toBe(200);
    expect(JSON.stringify(body['state'])).toContain('card declined');
  });

  it('a state holding a function is shown, the function as its name', async () => {
    const { status, body } = await stateOf('Formatted', [{ name: 'opened' }], 1);
    expect(status).toBe(200);
    expect(JSON.stringify(body['state'])).toContain('euros');
  });

  it('a class that needs more constructor arguments is named in a clear refusal, not a crash', async () => {
    const { status, body } = await stateOf('Priced', [{ name: 'opened' }], 1);
    expect(status).not.toBe(500);
    expect(String(body['error'])).toContain('Priced');
  });
});
