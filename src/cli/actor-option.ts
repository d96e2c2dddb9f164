/**
 * `--actor ./path/to/module.ts#ClassName`, as every command that takes it reads it: the class, or
 * a `CliNotFoundError` (exit 4) that says what is missing.
 */
import { ActorModuleError, loadActorClass } from '../inspection/actor-module.js';
import type { ReplayableClass } from '../inspection/replay-stream.js';
import { CliNotFoundError } from './cli-errors.js';

export const ACTOR_OPTION_HELP = 'your actor class: ./path/to/module.ts#ClassName (or .js)';

export async function actorClassFrom(reference: string): Promise<ReplayableClass> {
  try {
    return await loadActorClass(reference);
  } catch (error) {
    if (error instanceof ActorModuleError) throw new CliNotFoundError(error.message);
    throw error;
  }
}
