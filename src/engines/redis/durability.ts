/**
 * What Redis's persistence settings mean for acknowledged events, read at `ready()` (`CONFIG GET
 * appendonly appendfsync save`) and said through the store's logger when events can be lost:
 *
 * | settings | an acknowledged event is lost when |
 * | --- | --- |
 * | `appendonly yes`, `appendfsync always` | never (each write is on disk before Redis answers) |
 * | `appendonly yes`, `appendfsync everysec` | the machine (not Redis alone) fails within about a second of it |
 * | `appendonly yes`, `appendfsync no` | the machine fails before its OS writes the file (often ~30 s) |
 * | `appendonly no`, `save` rules set | Redis or the machine stops before the next RDB snapshot |
 * | `appendonly no`, `save ""` | Redis restarts, for any reason: nothing is kept on disk |
 *
 * A server that refuses `CONFIG` (managed services often do) cannot be judged: that is said too.
 * So is a server that may evict the store's keys (`judgeEviction`).
 */
import { messageOf } from '../../errors.js';

export interface DurabilityLogger {
  warn(message: string): void;
}

export type Durability =
  | { readonly loses: 'nothing' }
  | { readonly loses: 'on-machine-failure' | 'on-restart' | 'unknown'; readonly advice: string };

export function judgeDurability(settings: ReadonlyMap<string, string>): Durability {
  const appendonly = settings.get('appendonly');
  const appendfsync = settings.get('appendfsync');
  const save = settings.get('save') ?? '';
  if (appendonly === 'yes' && appendfsync === 'always') return { loses: 'nothing' };
  if (appendonly === 'yes' && appendfsync === 'everysec') {
    return {
      loses: 'on-machine-failure',
      advice:
        'appendfsync is everysec: events acknowledged in the last second or so can be lost if the machine fails (a crash of Redis alone loses none); set appendfsync always to lose none',
    };
  }
  if (appendonly === 'yes') {
    return {
      loses: 'on-machine-failure',
      advice: `appendfsync is ${appendfsync ?? 'unknown'}: events acknowledged before the OS writes the file (often ~30 s) can be lost if the machine fails; set appendfsync always (or everysec)`,
    };
  }
  if (save.trim() !== '') {
    return {
      loses: 'on-restart',
      advice: `appendonly is no: events acknowledged since the last RDB snapshot (save ${save}) are lost when Redis stops or restarts; set appendonly yes with appendfsync always (or everysec)`,
    };
  }
  return {
    loses: 'on-restart',
    advice:
      'appendonly is no and save is empty: Redis keeps nothing on disk, so every event is lost when it restarts; set appendonly yes with appendfsync always (or everysec)',
  };
}

/**
 * Eviction is the other way to lose events: with a `maxmemory` and an `allkeys-*` policy, Redis
 * deletes keys of its choosing when memory runs short, events among them, with no error to anyone.
 * The store's keys have no expiry, so `volatile-*` policies and `noeviction` spare them.
 */
export function judgeEviction(settings: ReadonlyMap<string, string>): string | undefined {
  const policy = settings.get('maxmemory-policy') ?? '';
  const maxmemory = settings.get('maxmemory') ?? '0';
  if (!policy.startsWith('allkeys-') || maxmemory === '0') return undefined;
  return `maxmemory-policy is ${policy} with maxmemory ${maxmemory}: when memory runs short Redis deletes keys of its choosing, stored events among them; set maxmemory-policy noeviction (appends then fail with an error instead)`;
}

/** What the check needs of a connection: `CONFIG GET`. */
export interface ConfigReader {
  config(subcommand: 'GET', parameter: string): Promise<unknown>;
}

/** Reads the settings and warns when acknowledged events can be lost; never fails the store. */
export async function warnAboutDurability(
  client: ConfigReader,
  title: string,
  logger: DurabilityLogger,
): Promise<Durability> {
  let durability: Durability;
  try {
    const settings = new Map<string, string>();
    for (const name of ['appendonly', 'appendfsync', 'save', 'maxmemory', 'maxmemory-policy']) {
      const answer = (await client.config('GET', name)) as unknown;
      if (Array.isArray(answer)) {
        for (let index = 0; index + 1 < answer.length; index += 2)
          settings.set(String(answer[index]), String(answer[index + 1]));
      }
    }
    durability = judgeDurability(settings);
    const eviction = judgeEviction(settings);
    if (eviction !== undefined) logger.warn(`${title}: ${eviction}`);
  } catch (error) {
    durability = {
      loses: 'unknown',
      advice: `its persistence settings cannot be read (CONFIG GET: ${messageOf(error)}); check that the server runs with appendonly yes and appendfsync always (or everysec), or acknowledged events can be lost on a restart`,
    };
  }
  if (durability.loses !== 'nothing') logger.warn(`${title}: ${durability.advice}`);
  return durability;
}
