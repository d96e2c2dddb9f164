/**
 * The job scheduler, on the embedded SQLite store: schedules two jobs, lets the scheduler tick for
 * a few seconds, runs what is due on each tick, then hands over and stops. Start it in two
 * terminals at once: one process leads and runs the jobs, the other follows and applies the same
 * events; stop the leader (Ctrl-C, or kill -9) and the other takes over within about two seconds.
 *
 *   npm run example:scheduler                       # the database is .omniscient/scheduler.db
 *   SCHEDULER_SECONDS=60 npm run example:scheduler  # tick for a minute
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createContainer } from 'omniscient-actors';
import { sqliteStore } from 'omniscient-actors/sqlite';
import { Scheduler } from './scheduler.js';

const file = process.env['SCHEDULER_DB'] ?? '.omniscient/scheduler.db';
const seconds = Number(process.env['SCHEDULER_SECONDS'] ?? 5);
mkdirSync(dirname(file), { recursive: true });

const store = sqliteStore({ file });
const scheduler = await new Scheduler('nightly-jobs', createContainer({ store })).Load();
console.log(`Loaded the scheduler from ${file} at tick ${scheduler.state.tick}.`);

if (scheduler.state.jobs['send-report'] === undefined) await scheduler.Schedule('send-report', 2);
if (scheduler.state.jobs['clean-cache'] === undefined) await scheduler.Schedule('clean-cache', 3);

let seen = scheduler.state.tick;
let running = false;
const watcher = setInterval(() => {
  // The tick handler has derived what is due; the leading process runs it.
  if (running || scheduler.state.tick === seen) return;
  seen = scheduler.state.tick;
  running = true;
  console.log(`tick ${seen}${scheduler.isLeader ? ' (this process leads)' : ''}`);
  void scheduler
    .runDueJobs(async (job, tick) => console.log(`  running ${job} for tick ${tick}`))
    .catch((error: unknown) => console.error('a job failed', error))
    .finally(() => (running = false));
}, 50);

const stop = async () => {
  clearInterval(watcher);
  await scheduler.Dispose(); // hands the lease over at once
  await store.close();
};
process.once('SIGINT', () => void stop());
setTimeout(
  () => void stop().then(() => console.log('Stopped: run it again and it goes on from the last tick.')),
  seconds * 1000,
).unref();
