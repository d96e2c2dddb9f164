/** The actors the story tests run: the product's seed User and Player, and a few with one trait each. */
import {
  Actor,
  LiveActor,
  StoreUnavailableError,
  createContainer,
  memoryStore,
  type Container,
} from 'omniscient-actors';

export interface TokenGenerator {
  next(): unknown;
}

/** The seed story's user, written as the product page writes it: untyped state, a token made by a service. */
export class User extends LiveActor {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state['logged_in'] = false;
  }

  DoLoginAttempt(password: string, fingerprint: object) {
    if (this._state['password'] === password) {
      const token = this.generateToken();
      void this.Fire('logged_in', { browserFingerprint: fingerprint, token });
      return token;
    }
    return this.Fire('invalid_login', { browserFingerprint: fingerprint });
  }

  generateToken(): unknown {
    const tokens = this.container.services['tokens'] as TokenGenerator | undefined;
    return tokens ? tokens.next() : `token-${this.version + 1}`;
  }

  signup(data: { username: string; password: string }) {
    this._state['username'] = data.username;
    this._state['password'] = data.password;
  }

  logged_in() {
    this._state['logged_in'] = true;
  }

  invalid_login() {
    this._state['failedLogins'] = ((this._state['failedLogins'] as number | undefined) ?? 0) + 1;
  }
}

export interface PaymentGateway {
  charge(account: string, cents: number): { receipt: string };
}

interface PlayerState {
  lives: number;
  paidCents: number;
  profile: { nickname: string; badges: string[] };
}

// A type alias, not an interface: an event map must be indexable by any name.
type PlayerEvents = {
  payment_received: { cents: number; receipt: string };
  life_gained: { lives: number };
  nickname_chosen: { nickname: string };
};

/** The seed story's player: the same person as the user, so the same stream, paying for lives. */
export class Player extends Actor<PlayerState, PlayerEvents> {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = { lives: 0, paidCents: 0, profile: { nickname: '', badges: [] } };
  }

  Pay(cents: number) {
    const { receipt } = this.container.service<PaymentGateway>('payments').charge(this.id, cents);
    void this.Fire('payment_received', { cents, receipt });
    const lives = Math.floor(cents / 100);
    if (lives > 0) void this.Fire('life_gained', { lives });
    return { receipt, lives };
  }

  async ChooseNickname(nickname: string): Promise<string> {
    if (nickname.trim() === '') throw new RangeError('a nickname cannot be blank');
    await this.Fire('nickname_chosen', { nickname });
    return nickname;
  }

  payment_received(data: PlayerEvents['payment_received']) {
    this._state.paidCents += data.cents;
  }

  life_gained(data: PlayerEvents['life_gained']) {
    this._state.lives += data.lives;
  }

  nickname_chosen(data: PlayerEvents['nickname_chosen']) {
    this._state.profile = { ...this._state.profile, nickname: data.nickname };
  }
}

/** Fires into its own stream and into a friend's: a story's `Then` can name the other stream. */
export class Referrer extends Actor {
  async Refer(friend: string) {
    void this.Fire('referral_sent', { friend });
    const friendActor = await new Actor(friend, this.container).Load();
    await friendActor.Fire('bonus_granted', { by: this.id });
  }
}

/** Records what it is given and when, to show the story's clock, ids and constructor arguments. */
export class Recorder extends Actor {
  static constructed = 0;
  readonly label: string;

  constructor(id: string, container: Container, label = 'unlabelled') {
    super(id, container);
    Recorder.constructed++;
    this.label = label;
    this._state['seen'] = [];
  }

  Record(value: unknown) {
    return this.Fire('recorded', {
      value,
      label: this.label,
      clock: this.container.clock.now().toISOString(),
    });
  }

  Fail(message: string): never {
    throw Object.assign(new Error(message), { code: 'RECORDER_FAILED' });
  }

  FireDoomed() {
    void this.Fire('doomed', { value: 1 });
    return 'fired';
  }

  seeded(data: unknown) {
    (this._state['seen'] as unknown[]).push(data);
  }

  recorded(data: unknown) {
    (this._state['seen'] as unknown[]).push(data);
  }
}

/** A container whose store refuses to append any event named `doomed`, as a store that is down would. */
export function containerRefusingDoomedEvents(): Container {
  const store = memoryStore();
  return createContainer({
    store: {
      ...store,
      appendToStream: async (stream, events, options) => {
        if (events.some((event) => event.name === 'doomed'))
          throw new StoreUnavailableError('the store is down');
        return store.appendToStream(stream, events, options);
      },
    },
    onError: () => undefined,
  });
}

interface AccountState {
  username: string;
  logins: number;
}

type AccountEvents = {
  signup: { username: string; password: string };
  logged_in: { browserFingerprint: object; token: unknown };
};

/**
 * The user's account as another part of the product sees it: a typed actor with no command of its
 * own, whose state comes from the events `User` fires into the same stream.
 */
export class Account extends Actor<AccountState, AccountEvents> {
  constructor(id: string, container: Container) {
    super(id, container);
    this._state = { username: '', logins: 0 };
  }

  signup(data: AccountEvents['signup']) {
    this._state.username = data.username;
  }

  logged_in() {
    this._state.logins++;
  }
}
