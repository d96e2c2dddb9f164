/**
 * The meta texts of the events of one append, parsed. The events of a batch nearly always carry
 * the same meta text (the firing actor's class, no causation), so a text equal to the one before
 * is not parsed again: the event gets a copy of the value parsed from it.
 *
 * A copy is only made of an object whose values are all primitives, which is then as new as a
 * parse would be: its own object, with the same keys in the same order. The value copied from was
 * returned for an earlier event of the same append, but no caller can have changed it yet: an
 * append is one synchronous call, and a `MetaTexts` never outlives it.
 */
export class MetaTexts {
  #text: string | undefined;
  #value: object | undefined;

  /** `JSON.parse(text)`, or a copy of what it gave last time; throws as `JSON.parse` does. */
  parse(text: string): unknown {
    if (text === this.#text) return { ...this.#value };
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && isFlat(value)) {
      this.#text = text;
      this.#value = value;
    } else {
      this.#text = undefined;
    }
    return value;
  }
}

/** True when no value of `object` is an object or an array, so that a shallow copy is a deep one. */
export function isFlat(object: object): boolean {
  for (const key in object) {
    const value: unknown = (object as Record<string, unknown>)[key];
    if (typeof value === 'object' && value !== null) return false;
  }
  return true;
}
