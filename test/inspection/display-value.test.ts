/**
 * The display form of a state: what JSON would drop or mangle in an actor's state (Map, Set, Date,
 * bigint, undefined, NaN, functions, cycles) turned into plain JSON that still says what it was,
 * and the state itself left as it was.
 */
import { describe, expect, it } from 'vitest';
import { displayValue } from '../../src/inspection/display-value.js';
import { displayChanges, stateChanges } from '../../src/inspection/state-changes.js';

/** What reaches the page: the display form through JSON and back. */
const overTheWire = (value: unknown): unknown => JSON.parse(JSON.stringify(displayValue(value)) ?? 'null');

describe('displayValue', () => {
  it('a Map becomes { Map: [[key, value], …] } in insertion order, keys of any type kept', () => {
    const byTag = new Map<unknown, unknown>([
      ['food', 5],
      [7, 'seven'],
      [true, null],
    ]);
    expect(displayValue(byTag)).toEqual({
      Map: [
        ['food', 5],
        [7, 'seven'],
        [true, null],
      ],
    });
    expect(displayValue(new Map())).toEqual({ Map: [] });
  });

  it('a Set becomes { Set: [value, …] } in insertion order', () => {
    expect(displayValue(new Set(['b', 'a', 3]))).toEqual({ Set: ['b', 'a', 3] });
    expect(displayValue(new Set())).toEqual({ Set: [] });
  });

  it('Maps and Sets inside Maps, Sets, arrays and objects are converted at every depth', () => {
    const state = {
      players: new Map([
        ['ann', { scores: new Set([1, 2]), friends: new Map([['bob', new Set(['chess'])]]) }],
      ]),
      rounds: [new Map([['r1', 10]]), new Set([new Map([['k', 'v']])])],
    };
    expect(overTheWire(state)).toEqual({
      players: {
        Map: [['ann', { scores: { Set: [1, 2] }, friends: { Map: [['bob', { Set: ['chess'] }]] } }]],
      },
      rounds: [{ Map: [['r1', 10]] }, { Set: [{ Map: [['k', 'v']] }] }],
    });
  });

  it('object keys of a Map are shown in display form too', () => {
    const at = new Date('2026-01-02T03:04:05.000Z');
    expect(
      displayValue(
        new Map<unknown, unknown>([
          [{ id: 1 }, 'one'],
          [at, 'then'],
          [10n, 'big'],
        ]),
      ),
    ).toEqual({
      Map: [
        [{ id: 1 }, 'one'],
        ['2026-01-02T03:04:05.000Z', 'then'],
        ['10n', 'big'],
      ],
    });
  });

  it('a Date becomes its ISO-8601 text; an invalid date says so', () => {
    expect(displayValue(new Date('2026-11-01T09:00:00.000Z'))).toBe('2026-11-01T09:00:00.000Z');
    expect(displayValue({ since: new Date(0) })).toEqual({ since: '1970-01-01T00:00:00.000Z' });
    expect(displayValue(new Date('not a date'))).toBe('Invalid Date');
  });

  it('a bigint becomes "<digits>n", at any depth (JSON.stringify would throw)', () => {
    expect(displayValue(123n)).toBe('123n');
    expect(displayValue(-9007199254740993n)).toBe('-9007199254740993n');
    expect(overTheWire({ balance: 10n ** 20n, history: [1n] })).toEqual({
      balance: '100000000000000000000n',
      history: ['1n'],
    });
  });

  it('undefined in an array becomes null; as a property it is left out, as JSON does', () => {
    expect(displayValue([1, undefined, 3])).toEqual([1, null, 3]);
    // A hole in a sparse array reaches the page as null, as JSON writes it.
    // eslint-disable-next-line no-sparse-arrays
    expect(overTheWire([1, , 3])).toEqual([1, null, 3]);
    const shown = displayValue({ kept: 1, gone: undefined, inner: { gone: undefined } });
    expect(shown).toEqual({ kept: 1, inner: {} });
    expect(Object.keys(shown as object)).toEqual(['kept', 'inner']);
    expect(displayValue(new Map([['k', undefined]]))).toEqual({ Map: [['k', undefined]] });
  });

  it('NaN and the infinities become their names (JSON would make them null)', () => {
    expect(displayValue(Number.NaN)).toBe('NaN');
    expect(displayValue(Number.POSITIVE_INFINITY)).toBe('Infinity');
    expect(displayValue(Number.NEGATIVE_INFINITY)).toBe('-Infinity');
    expect(overTheWire({ ratio: Number.NaN, limits: [Number.POSITIVE_INFINITY, 0, -1.5] })).toEqual({
      ratio: 'NaN',
      limits: ['Infinity', 0, -1.5],
    });
  });

  it('a function becomes its description, by name or as anonymous; a symbol its text', () => {
    function handler() {
      return 1;
    }
    expect(displayValue(handler)).toBe('[Function handler]');
    expect(displayValue({ callback: () => 1 })).toEqual({ callback: '[Function callback]' });
    expect(
      displayValue([
        (
          () => () =>
            1
        )(),
      ]),
    ).toEqual(['[Function anonymous]']);
    expect(displayValue(Symbol('marker'))).toBe('Symbol(marker)');
  });

  it('a cycle becomes "[Circular]" where it closes, through objects, arrays, Maps and Sets', () => {
    const node: Record<string, unknown> = { name: 'root' };
    node['self'] = node;
    expect(displayValue(node)).toEqual({ name: 'root', self: '[Circular]' });

    const list: unknown[] = [1];
    list.push(list);
    expect(displayValue(list)).toEqual([1, '[Circular]']);

    const registry = new Map<string, unknown>();
    const members = new Set<unknown>([registry]);
    registry.set('members', members);
    expect(displayValue(registry)).toEqual({ Map: [['members', { Set: ['[Circular]'] }]] });
    expect(() => JSON.stringify(displayValue(registry))).not.toThrow();
  });

  it('the same object reached twice without a cycle is shown both times', () => {
    const shared = { id: 1 };
    expect(displayValue({ a: shared, b: shared, list: [shared, shared] })).toEqual({
      a: { id: 1 },
      b: { id: 1 },
      list: [{ id: 1 }, { id: 1 }],
    });
  });

  it('plain JSON values come out equal, and nothing of the state is changed', () => {
    const plain = { n: 1, s: 'x', b: false, z: null, list: [1, 'two', { three: 3 }], nested: { deep: [] } };
    expect(displayValue(plain)).toEqual(plain);
    expect(displayValue(null)).toBeNull();
    expect(displayValue('text')).toBe('text');

    const tags = new Set(['a']);
    const state = { tags, at: new Date(5), ids: new Map([['k', 1n]]) };
    displayValue(state);
    expect(state.tags).toBe(tags);
    expect(state.tags).toBeInstanceOf(Set);
    expect(state.at).toBeInstanceOf(Date);
    expect(state.ids.get('k')).toBe(1n);
  });
});

describe('displayChanges', () => {
  it("converts each change's before and after, and keeps a change's missing side missing", () => {
    const before = { tags: new Set(['a']), byTag: new Map([['a', 1]]), total: 1n };
    const after = { tags: new Set(['a', 'b']), byTag: new Map([['a', 2]]), total: 2n, since: new Date(0) };
    const changes = displayChanges(stateChanges(before, after));
    expect(changes).toEqual([
      { path: 'tags{"b"}', kind: 'added', after: 'b' },
      { path: 'byTag.get("a")', kind: 'changed', before: 1, after: 2 },
      { path: 'total', kind: 'changed', before: '1n', after: '2n' },
      { path: 'since', kind: 'added', after: '1970-01-01T00:00:00.000Z' },
    ]);
    for (const change of changes) {
      expect('before' in change).toBe(change.kind !== 'added');
      expect('after' in change).toBe(change.kind !== 'removed');
    }
    expect(() => JSON.stringify(changes)).not.toThrow();
  });

  it('a whole Map added to the state is shown in display form', () => {
    const changes = displayChanges(stateChanges({}, { seen: new Map([['x', new Set([1])]]) }));
    expect(changes).toEqual([{ path: 'seen', kind: 'added', after: { Map: [['x', { Set: [1] }]] } }]);
  });
});
