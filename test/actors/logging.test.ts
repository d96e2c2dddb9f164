/**
 * Seeing what happens: the container's logger hears of each append (debug), each conflict and
 * rebase (debug), not only of errors; and a logger that states a higher level is not even called
 * for those lines, so that they cost nothing when nobody reads them.
 */
import { describe, expect, it } from 'vitest';
import {
  consoleLogger,
  createContainer,
  LiveActor,
  memoryStore,
  type Logger,
  type LogLevel,
} from 'omniscient-actors';
import { gatedStore } from './gated-store.js';

class Lives extends LiveActor<{ lives: number }> {
  protected override _state = { lives: 0 };
  Gain(amount: number) {
    return this.Fire('gained', { amount });
  }
  gained(data: { amount: number }) {
    this._state.lives += data.amount;
  }
}

interface Line {
  level: string;
  message: string;
  context: Record<string, unknown> | undefined;
}

function recordingLogger(level?: LogLevel): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const record = (name: string) => (message: string, context?: Record<string, unknown>) =>
    void lines.push({ level: name, message, context });
  return {
    ...(level === undefined ? {} : { level }),
    lines,
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
}

describe('the logger', () => {
  it('hears each append stored, at debug', async () => {
    const logger = recordingLogger('debug');
    const lives = await new Lives('p', createContainer({ store: memoryStore(), logger })).Load();
    void lives.Gain(1);
    void lives.Gain(2);
    await lives.Flush();
    await lives.Gain(3);
    expect(logger.lines).toEqual([
      {
        level: 'debug',
        message: 'Lives "p" stored gained, gained at versions 1-2',
        context: { actor: 'Lives', stream: 'p', version: 2, position: 2, events: 2, attempt: 1 },
      },
      {
        level: 'debug',
        message: 'Lives "p" stored gained at version 3',
        context: { actor: 'Lives', stream: 'p', version: 3, position: 3, events: 1, attempt: 1 },
      },
    ]);
    await lives.Dispose();
  });

  it('hears a conflict, the rebase on the winners, and the append that then lands', async () => {
    const inner = memoryStore();
    const store = gatedStore(inner);
    const logger = recordingLogger();
    const lives = await new Lives('p', createContainer({ store, logger })).Load();
    store.beforeNextAppend(() => inner.appendToStream('p', [{ name: 'gained', data: { amount: 1 } }]));
    await lives.Gain(10);
    expect(logger.lines.map(({ level, message }) => `${level}: ${message}`)).toEqual([
      'debug: Lives "p" met a conflict: its append expected version 0, the stream is at 1; rebasing 1 pending event(s) on the winners',
      'debug: Lives "p" rebased on version 1: 1 pending event(s) re-applied on top',
      'debug: Lives "p" stored gained at version 2 (attempt 2)',
    ]);
    expect(logger.lines[0]?.context).toEqual({
      actor: 'Lives',
      stream: 'p',
      expected: 0,
      actual: 1,
      attempt: 1,
    });
    await lives.Dispose();
  });

  it('is not called for lines below the level it states', async () => {
    const logger = recordingLogger('warn');
    const inner = memoryStore();
    const store = gatedStore(inner);
    const lives = await new Lives('p', createContainer({ store, logger })).Load();
    store.beforeNextAppend(() => inner.appendToStream('p', [{ name: 'gained', data: { amount: 1 } }]));
    await lives.Gain(10);
    await lives.Gain(1);
    expect(lives.state.lives).toBe(12);
    expect(logger.lines).toEqual([]);
    await lives.Dispose();
  });

  it('that throws changes nothing of the work', async () => {
    const throwing: Logger = {
      debug: () => {
        throw new Error('the log disk is full');
      },
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
    };
    const lives = await new Lives('p', createContainer({ store: memoryStore(), logger: throwing })).Load();
    expect((await lives.Gain(1)).version).toBe(1);
    await lives.Dispose();
  });

  it('of the console states its level, warn unless told otherwise', () => {
    expect(consoleLogger('debug').level).toBe('debug');
    expect(consoleLogger('silent').level).toBe('silent');
    expect(consoleLogger('shout').level).toBe('warn');
  });
});
