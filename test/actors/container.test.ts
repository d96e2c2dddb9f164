import { describe, expect, it } from 'vitest';
import { Actor, createContainer, memoryStore, MissingServiceError, type Container } from 'omniscient-actors';

interface Tokens {
  next(): string;
}

class Session extends Actor {
  declare readonly container: Container & { tokens: Tokens };
  Open() {
    const token = this.container.tokens.next();
    void this.Fire('opened', { token });
    return token;
  }
  Charge() {
    return this.container.service<{ charge(): string }>('payments').charge();
  }
}

describe('the container', () => {
  it('gives actors the user services, by property and by name', async () => {
    const tokens: Tokens = { next: () => 'token-1' };
    const container = createContainer({ store: memoryStore(), tokens });
    expect(container.tokens).toBe(tokens);
    expect(container.service('tokens')).toBe(tokens);
    const session = await new Session('s', container).Load();
    expect(session.Open()).toBe('token-1');
    await session.Flush();
    expect((await container.store.readStream('s'))[0]?.data).toEqual({ token: 'token-1' });
  });

  it('names a missing service clearly', async () => {
    const container = createContainer({ store: memoryStore() });
    const session = await new Session('s', container).Load();
    expect(() => session.Charge()).toThrow(MissingServiceError);
    expect(() => session.Charge()).toThrow(/no service named "payments"/);
  });

  it('needs a store', () => {
    expect(() => createContainer({} as never)).toThrow(/needs a store/);
  });

  it('keeps its own members apart from the services', () => {
    const container = createContainer({ store: memoryStore(), payments: { charge: () => 'ok' } });
    expect(Object.keys(container.services)).toEqual(['payments']);
    expect(Object.isFrozen(container)).toBe(true);
  });
});
