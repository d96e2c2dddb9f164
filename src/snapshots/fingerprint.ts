/**
 * The fingerprint of an actor class's handlers' meaning: a snapshot is used only by a class whose
 * fingerprint is the one it was saved with, so that a change to how past events are read makes
 * every older snapshot stale, and the state is recomputed from the events.
 *
 * By default it is a SHA-256 of the source text of every user class from the actor's class up to
 * (not including) the library's classes: `String(aClass)` is the whole class body, so the
 * constructor (the initial state), the handlers and the static fields all count. A class that pins
 * `static snapshotVersion = 'v2'` gets a fingerprint derived from that string instead, so that
 * edits which keep the meaning (a rename, a comment) keep its snapshots. Either way the source of
 * each function of the class's `static upcasters` map counts too: a new upcaster changes how a past
 * event is read. What a handler reads from outside its class (a constant of the module, an imported
 * function) is not part of the source; a class that depends on such things pins its version.
 *
 * Computed once per class.
 */
import { createHash } from 'node:crypto';
import { snapshotSettingsOf, type SnapshotClass } from './snapshot-settings.js';

const fingerprints = new WeakMap<object, string>();

/** The fingerprint of `actorClass`; `isLibraryClass` tells where the user's classes end. */
export function fingerprintOf(
  actorClass: SnapshotClass,
  isLibraryClass: (candidate: object) => boolean,
): string {
  let fingerprint = fingerprints.get(actorClass);
  if (fingerprint === undefined) {
    fingerprint = computeFingerprint(actorClass, isLibraryClass);
    fingerprints.set(actorClass, fingerprint);
  }
  return fingerprint;
}

function computeFingerprint(
  actorClass: SnapshotClass,
  isLibraryClass: (candidate: object) => boolean,
): string {
  const hash = createHash('sha256');
  // Each part is framed by its length, so that two different lists of parts never hash the same.
  const add = (label: string, text: string) => hash.update(`${label}:${text.length}:${text}\n`);
  const { pinned } = snapshotSettingsOf(actorClass);
  if (pinned !== undefined) {
    add('pinned', pinned);
  } else {
    for (
      let current: object | null = actorClass;
      current !== null && typeof current === 'function' && !isLibraryClass(current);
      current = Object.getPrototypeOf(current) as object | null
    ) {
      add('class', Function.prototype.toString.call(current));
    }
  }
  // Every class of the chain may declare upcasters (the maps merge), pinned or not: all count.
  for (
    let current: object | null = actorClass;
    current !== null && typeof current === 'function' && !isLibraryClass(current);
    current = Object.getPrototypeOf(current) as object | null
  ) {
    if (!Object.prototype.hasOwnProperty.call(current, 'upcasters')) continue;
    const upcasters = (current as { upcasters?: unknown }).upcasters;
    if (typeof upcasters !== 'object' || upcasters === null) continue;
    add('upcasters of', (current as { name?: string }).name ?? '');
    for (const name of Object.keys(upcasters).sort()) {
      const upcaster = (upcasters as Record<string, unknown>)[name];
      add('upcaster', name);
      add(
        typeof upcaster,
        typeof upcaster === 'function' ? Function.prototype.toString.call(upcaster) : String(upcaster),
      );
    }
  }
  return `sha256:${hash.digest('hex')}`;
}
