/**
 * The state codec of snapshots: turns an actor's state into a JSON value and back, exactly.
 *
 * Supported, as the actors' state copies are (`actors/state-copy.ts`): plain objects (prototype
 * `Object` or `null`), arrays, strings, booleans, `null`, numbers (`NaN`, ±`Infinity` and `-0`
 * included), `undefined` (as an object value or an array item), `bigint`, `Date` (invalid ones
 * included), `Map`, `Set`, `RegExp`, `ArrayBuffer`, typed arrays, `DataView` and Node's `Buffer`.
 * JSON values are written as themselves; the others take a tagged form, an object whose `"~"` key
 * names what it is. A plain object of the user's that has a `"~"` key is itself written in a tagged
 * form, so a tag can never be mistaken for the user's data. Keys such as `__proto__` come back as
 * own properties, never as a prototype.
 *
 * Refused with `UsageError`, naming the path (`_state.players.get("a").since is an instance of
 * Foo`): functions, symbols (as values or keys), class instances and other built-in objects,
 * cycles, an object reachable twice (a restored copy would not keep it shared), sparse arrays,
 * arrays with properties besides their items, resizable `ArrayBuffer`s, and nesting deeper than
 * `MAX_STATE_DEPTH`.
 *
 * Decoding is as strict: anything that is not exactly what the encoder writes throws
 * `UndecodableStateError`, so a damaged snapshot is never half applied.
 */
import { Buffer } from 'node:buffer';
import { UsageError } from '../errors.js';
import type { JsonValue } from '../events/envelope.js';

/** The key that marks a tagged form. */
export const TAG = '~';
/** The deepest nesting of a state; a store refuses deeper JSON (tagged forms add levels too). */
export const MAX_STATE_DEPTH = 128;

type JsonObject = { [key: string]: JsonValue };

/** A snapshot's state that is not exactly what `encodeState` writes. */
export class UndecodableStateError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path} ${problem}`);
    this.name = 'UndecodableStateError';
  }
}

/** Where a value sits, built only when a message needs it (most encodes never do). */
interface PathNode {
  readonly parent: PathNode | undefined;
  readonly step: Step;
  readonly key: unknown;
}

const enum Step {
  Root,
  Property,
  Index,
  MapValue,
  MapKey,
  SetItem,
  Buffer,
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function renderPath(node: PathNode | undefined): string {
  const steps: string[] = [];
  for (let current = node; current !== undefined; current = current.parent) {
    steps.push(renderStep(current));
  }
  return steps.reverse().join('');
}

function renderStep({ step, key }: PathNode): string {
  switch (step) {
    case Step.Root:
      return String(key);
    case Step.Property:
      return IDENTIFIER.test(key as string) ? `.${key as string}` : `[${JSON.stringify(key)}]`;
    case Step.Index:
      return `[${key as number}]`;
    case Step.MapValue:
      return `.get(${describeKey(key)})`;
    case Step.MapKey:
      return `.keys()[${key as number}]`;
    case Step.SetItem:
      return `.values()[${key as number}]`;
    case Step.Buffer:
      return '.buffer';
  }
}

function describeKey(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key);
  if (typeof key === 'bigint') return `${key}n`;
  if (typeof key === 'object' && key !== null) return '…';
  return String(key);
}

const child = (parent: PathNode, step: Step, key: unknown): PathNode => ({ parent, step, key });

/** The typed array classes, by name; `Buffer` is handled on its own (its memory is often a shared pool). */
const TYPED_ARRAYS: Readonly<
  Record<string, new (buffer: ArrayBuffer, offset: number, length: number) => object>
> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
};
const typedArrayNames = new Map<object, string>(
  Object.entries(TYPED_ARRAYS).map(([name, constructor]) => [constructor.prototype as object, name]),
);

/**
 * Encodes `state` as a JSON value that `decodeState` turns back into an equal state. `root` names
 * the state in a refusal (`_state`). Throws `UsageError` naming the path of the first value that
 * cannot be encoded.
 */
export function encodeState(state: unknown, root = '_state'): JsonValue {
  return new Encoder().encode(state, { parent: undefined, step: Step.Root, key: root }, 0);
}

class Encoder {
  /** Every object met so far, with where it was first met. */
  readonly #seen = new Map<object, PathNode>();
  /** The objects being encoded, from the root down: meeting one again is a cycle. */
  readonly #open = new Set<object>();

  encode(value: unknown, at: PathNode, depth: number): JsonValue {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        if (Number.isFinite(value) && !Object.is(value, -0)) return value;
        return { [TAG]: 'number', value: Object.is(value, -0) ? '-0' : String(value) };
      case 'undefined':
        return { [TAG]: 'undefined' };
      case 'bigint':
        return { [TAG]: 'bigint', value: value.toString() };
      case 'function':
        return refuse(at, 'is a function');
      case 'symbol':
        return refuse(at, 'is a symbol');
      default:
        if (value === null) return null;
        return this.#encodeObject(value as object, at, depth);
    }
  }

  #encodeObject(value: object, at: PathNode, depth: number): JsonValue {
    const first = this.#seen.get(value);
    if (first !== undefined) {
      if (this.#open.has(value)) {
        return refuse(at, `refers back to ${renderPath(first)}, which contains it (a cycle)`);
      }
      return refuse(
        at,
        `is the same object as ${renderPath(first)}; a restored snapshot would hold two copies, no longer shared`,
      );
    }
    if (depth >= MAX_STATE_DEPTH) return refuse(at, `nests deeper than ${MAX_STATE_DEPTH} levels`);
    this.#seen.set(value, at);
    this.#open.add(value);
    try {
      return this.#encodeByKind(value, at, depth + 1);
    } finally {
      this.#open.delete(value);
    }
  }

  #encodeByKind(value: object, at: PathNode, depth: number): JsonValue {
    const prototype: unknown = Object.getPrototypeOf(value);
    if (Array.isArray(value) && prototype === Array.prototype) return this.#encodeArray(value, at, depth);
    if (prototype === Object.prototype || prototype === null) {
      const entries = this.#encodeEntries(value, at, depth);
      if (prototype === null) return { [TAG]: 'object', prototype: null, entries };
      return Object.prototype.hasOwnProperty.call(entries, TAG) ? { [TAG]: 'object', entries } : entries;
    }
    if (prototype === Map.prototype) {
      const entries: JsonValue[] = [];
      let index = 0;
      for (const [key, item] of value as Map<unknown, unknown>) {
        entries.push([
          this.encode(key, child(at, Step.MapKey, index), depth),
          this.encode(item, child(at, Step.MapValue, key), depth),
        ]);
        index++;
      }
      return { [TAG]: 'Map', entries };
    }
    if (prototype === Set.prototype) {
      const items: JsonValue[] = [];
      let index = 0;
      for (const item of value as Set<unknown>)
        items.push(this.encode(item, child(at, Step.SetItem, index++), depth));
      return { [TAG]: 'Set', items };
    }
    if (prototype === Date.prototype) {
      const time = (value as Date).getTime();
      return { [TAG]: 'Date', time: Number.isNaN(time) ? null : time };
    }
    if (prototype === RegExp.prototype) {
      const { source, flags, lastIndex } = value as RegExp;
      return { [TAG]: 'RegExp', source, flags, lastIndex };
    }
    if (prototype === ArrayBuffer.prototype) {
      if ((value as ArrayBuffer & { resizable?: boolean }).resizable === true) {
        return refuse(at, 'is a resizable ArrayBuffer, which a snapshot cannot restore as such');
      }
      return { [TAG]: 'ArrayBuffer', base64: Buffer.from(value as ArrayBuffer).toString('base64') };
    }
    if (prototype === Buffer.prototype) {
      return { [TAG]: 'Buffer', base64: (value as Buffer).toString('base64') };
    }
    const typedArray = typedArrayNames.get(prototype as object);
    if (typedArray !== undefined || prototype === DataView.prototype) {
      const view = value as ArrayBufferView & { length?: number };
      const buffer = this.encode(view.buffer, child(at, Step.Buffer, undefined), depth);
      return typedArray === undefined
        ? { [TAG]: 'DataView', buffer, byteOffset: view.byteOffset, byteLength: view.byteLength }
        : { [TAG]: typedArray, buffer, byteOffset: view.byteOffset, length: view.length as number };
    }
    const kind = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return refuse(
      at,
      typeof kind === 'string' && kind !== ''
        ? `is an instance of ${kind}, which a snapshot cannot restore`
        : 'is an object with an unknown prototype, which a snapshot cannot restore',
    );
  }

  #encodeArray(value: unknown[], at: PathNode, depth: number): JsonValue {
    const items: JsonValue[] = new Array<JsonValue>(value.length);
    for (let index = 0; index < value.length; index++) {
      if (!Object.prototype.hasOwnProperty.call(value, index)) {
        return refuse(at, `is a sparse array: index ${index} is a hole, which a snapshot cannot keep`);
      }
      items[index] = this.encode(value[index], child(at, Step.Index, index), depth);
    }
    if (Object.keys(value).length !== value.length) {
      return refuse(at, 'is an array with properties besides its items, which a snapshot cannot keep');
    }
    refuseSymbolKeys(value, at);
    return items;
  }

  #encodeEntries(value: object, at: PathNode, depth: number): JsonObject {
    refuseSymbolKeys(value, at);
    const entries: JsonObject = {};
    for (const key of Object.keys(value)) {
      setOwn(
        entries,
        key,
        this.encode((value as Record<string, unknown>)[key], child(at, Step.Property, key), depth),
      );
    }
    return entries;
  }
}

function refuseSymbolKeys(value: object, at: PathNode): void {
  if (Object.getOwnPropertySymbols(value).length > 0)
    refuse(at, 'has a symbol key, which a snapshot cannot keep');
}

function refuse(at: PathNode, problem: string): never {
  throw new UsageError(`${renderPath(at)} ${problem}`);
}

/** Sets an own data property, even for `__proto__` (an assignment would set the prototype instead). */
function setOwn(target: object, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    (target as Record<string, unknown>)[key] = value;
  }
}

/**
 * Turns what `encodeState` wrote back into the state. Throws `UndecodableStateError` for anything
 * the encoder would not have written (an unknown tag, a field of the wrong type, a stray key).
 */
export function decodeState(json: unknown, root = 'state'): unknown {
  return decode(json, { parent: undefined, step: Step.Root, key: root }, 0);
}

function decode(json: unknown, at: PathNode, depth: number): unknown {
  if (json === null || typeof json === 'string' || typeof json === 'boolean') return json;
  if (typeof json === 'number') {
    if (!Number.isFinite(json)) return undecodable(at, 'is a number JSON cannot hold');
    return json;
  }
  if (typeof json !== 'object') return undecodable(at, `is a ${typeof json}, not JSON`);
  if (depth >= MAX_STATE_DEPTH * 3) return undecodable(at, 'nests deeper than a snapshot can');
  if (Array.isArray(json))
    return json.map((item, index) => decode(item, child(at, Step.Index, index), depth + 1));
  if (Object.prototype.hasOwnProperty.call(json, TAG))
    return decodeTagged(json as Record<string, unknown>, at, depth + 1);
  return decodeEntries(json as Record<string, unknown>, {}, at, depth + 1);
}

function decodeEntries(json: Record<string, unknown>, target: object, at: PathNode, depth: number): object {
  for (const key of Object.keys(json))
    setOwn(target, key, decode(json[key], child(at, Step.Property, key), depth));
  return target;
}

function decodeTagged(json: Record<string, unknown>, at: PathNode, depth: number): unknown {
  const tag = json[TAG];
  switch (tag) {
    case 'undefined':
      fields(json, at, []);
      return undefined;
    case 'number': {
      const { value } = fields(json, at, ['value']);
      if (value === 'NaN') return NaN;
      if (value === 'Infinity') return Infinity;
      if (value === '-Infinity') return -Infinity;
      if (value === '-0') return -0;
      return undecodable(at, `is a tagged number with an unknown value ${JSON.stringify(value)}`);
    }
    case 'bigint': {
      const { value } = fields(json, at, ['value']);
      if (typeof value !== 'string' || !/^-?\d+$/.test(value))
        return undecodable(at, 'is a bigint that is not a whole number');
      return BigInt(value);
    }
    case 'object': {
      const hasPrototype = Object.prototype.hasOwnProperty.call(json, 'prototype');
      const { entries, prototype } = fields(json, at, hasPrototype ? ['entries', 'prototype'] : ['entries']);
      if (hasPrototype && prototype !== null) return undecodable(at, 'names a prototype other than null');
      if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) {
        return undecodable(at, 'is a tagged object whose entries are not an object');
      }
      const target: object = hasPrototype ? (Object.create(null) as object) : {};
      return decodeEntries(entries as Record<string, unknown>, target, at, depth);
    }
    case 'Map': {
      const { entries } = fields(json, at, ['entries']);
      const map = new Map<unknown, unknown>();
      for (const [index, entry] of arrayField(entries, at, 'entries').entries()) {
        if (!Array.isArray(entry) || entry.length !== 2)
          return undecodable(at, `has a Map entry ${index} that is not a pair`);
        const key = decode(entry[0], child(at, Step.MapKey, index), depth);
        map.set(key, decode(entry[1], child(at, Step.MapValue, key), depth));
      }
      if (map.size !== (entries as unknown[]).length) return undecodable(at, 'is a Map with a repeated key');
      return map;
    }
    case 'Set': {
      const { items } = fields(json, at, ['items']);
      const list = arrayField(items, at, 'items');
      const set = new Set(list.map((item, index) => decode(item, child(at, Step.SetItem, index), depth)));
      if (set.size !== list.length) return undecodable(at, 'is a Set with a repeated item');
      return set;
    }
    case 'Date': {
      const { time } = fields(json, at, ['time']);
      if (time === null) return new Date(NaN);
      const date = new Date(Number.isInteger(time) ? (time as number) : NaN);
      if (Number.isNaN(date.getTime())) return undecodable(at, 'is a Date whose time is not a valid time');
      return date;
    }
    case 'RegExp': {
      const { source, flags, lastIndex } = fields(json, at, ['source', 'flags', 'lastIndex']);
      if (typeof source !== 'string' || typeof flags !== 'string' || !isWholeNumber(lastIndex)) {
        return undecodable(at, 'is a RegExp with a malformed source, flags or lastIndex');
      }
      try {
        const expression = new RegExp(source, flags);
        expression.lastIndex = lastIndex;
        return expression;
      } catch {
        return undecodable(at, 'is a RegExp that does not compile');
      }
    }
    case 'ArrayBuffer': {
      const { base64 } = fields(json, at, ['base64']);
      const bytes = bytesOf(base64, at);
      const buffer = new ArrayBuffer(bytes.length);
      new Uint8Array(buffer).set(bytes);
      return buffer;
    }
    case 'Buffer': {
      const { base64 } = fields(json, at, ['base64']);
      return Buffer.from(bytesOf(base64, at));
    }
    case 'DataView': {
      const { buffer, byteOffset, byteLength } = fields(json, at, ['buffer', 'byteOffset', 'byteLength']);
      const memory = bufferField(buffer, at, depth);
      if (
        !isWholeNumber(byteOffset) ||
        !isWholeNumber(byteLength) ||
        byteOffset + byteLength > memory.byteLength
      ) {
        return undecodable(at, 'is a DataView that does not fit its buffer');
      }
      return new DataView(memory, byteOffset, byteLength);
    }
    default: {
      const constructor =
        typeof tag === 'string' && Object.prototype.hasOwnProperty.call(TYPED_ARRAYS, tag)
          ? TYPED_ARRAYS[tag]
          : undefined;
      if (constructor === undefined) return undecodable(at, `has an unknown tag ${JSON.stringify(tag)}`);
      const { buffer, byteOffset, length } = fields(json, at, ['buffer', 'byteOffset', 'length']);
      const memory = bufferField(buffer, at, depth);
      if (!isWholeNumber(byteOffset) || !isWholeNumber(length))
        return undecodable(at, `is a ${tag} with a malformed offset or length`);
      try {
        return new constructor(memory, byteOffset, length);
      } catch {
        return undecodable(at, `is a ${tag} that does not fit its buffer`);
      }
    }
  }
}

/** The fields of a tagged form, which must have exactly these keys besides the tag. */
function fields<Name extends string>(
  json: Record<string, unknown>,
  at: PathNode,
  names: readonly Name[],
): Record<Name, unknown> {
  const keys = Object.keys(json);
  if (
    keys.length !== names.length + 1 ||
    !names.every((name) => Object.prototype.hasOwnProperty.call(json, name))
  ) {
    return undecodable(
      at,
      `is a tagged ${String(json[TAG])} whose fields are not ${names.join(', ') || 'none'}`,
    );
  }
  return json as Record<Name, unknown>;
}

function arrayField(value: unknown, at: PathNode, name: string): unknown[] {
  if (!Array.isArray(value)) return undecodable(at, `has ${name} that are not an array`);
  return value;
}

function bufferField(json: unknown, at: PathNode, depth: number): ArrayBuffer {
  const buffer = decode(json, child(at, Step.Buffer, undefined), depth);
  if (!(buffer instanceof ArrayBuffer))
    return undecodable(at, 'is a view whose buffer is not an ArrayBuffer');
  return buffer;
}

function bytesOf(base64: unknown, at: PathNode): Buffer {
  if (typeof base64 !== 'string') return undecodable(at, 'has bytes that are not base64 text');
  const bytes = Buffer.from(base64, 'base64');
  // Node's decoder skips what is not base64: writing the bytes back must give the same text.
  if (bytes.toString('base64') !== base64) return undecodable(at, 'has bytes that are not base64 text');
  return bytes;
}

function isWholeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function undecodable(at: PathNode, problem: string): never {
  throw new UndecodableStateError(renderPath(at), problem);
}
