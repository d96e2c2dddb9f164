/**
 * A singleton job scheduler on a `TickActor`: whichever process leads the `Scheduler` id ticks once
 * a second; the schedule (which job runs every how many ticks) and every run are events, so any
 * process can take over and knows exactly what is due.
 *
 * The tick handler only derives state (which jobs are due at tick n); running a job is a side
 * effect, done by the leading process (`runDueJobs`), which then records `job_ran`. A job is run at
 * least once per due tick: if a leader dies after running a job but before `job_ran` is stored,
 * its successor runs it again, so jobs should be idempotent (or check their own effects).
 */
import { TickActor, type TickData } from 'omniscient-actors';

export interface Job {
  readonly every: number;
  /** The tick of its last recorded run (0: never ran). */
  readonly lastRun: number;
}

export interface SchedulerState {
  jobs: Record<string, Job>;
  /** The latest tick applied. */
  tick: number;
  /** Jobs due at `tick` and not yet recorded as run. */
  due: string[];
}

interface SchedulerEvents {
  job_scheduled: { job: string; every: number };
  job_ran: { job: string; tick: number };
}

export class Scheduler extends TickActor<SchedulerState, SchedulerEvents> {
  static override resolution = 1000;
  // A day without any process up fires one tick with `missed` set, not 86 400 of them.
  static override missedTicks = 'skip' as const;

  protected override _state: SchedulerState = { jobs: {}, tick: 0, due: [] };

  Schedule(job: string, every: number) {
    if (!Number.isInteger(every) || every < 1)
      throw new RangeError('every must be a whole number of ticks >= 1');
    return this.Fire('job_scheduled', { job, every });
  }

  /**
   * Runs each due job with `run`, then records the run. Only the leader runs jobs, so that one
   * process runs each, whatever the number of processes holding the scheduler.
   */
  async runDueJobs(run: (job: string, tick: number) => Promise<void>): Promise<void> {
    if (!this.isLeader) return;
    const { tick, due } = this._state;
    for (const job of due) {
      await run(job, tick);
      await this.Fire('job_ran', { job, tick });
    }
  }

  job_scheduled({ job, every }: SchedulerEvents['job_scheduled']) {
    this._state.jobs[job] = { every, lastRun: this._state.jobs[job]?.lastRun ?? 0 };
  }

  job_ran({ job, tick }: SchedulerEvents['job_ran']) {
    const known = this._state.jobs[job];
    if (known !== undefined) this._state.jobs[job] = { ...known, lastRun: tick };
    this._state.due = this._state.due.filter((each) => each !== job);
  }

  tick({ n }: TickData) {
    this._state.tick = n;
    this._state.due = Object.entries(this._state.jobs)
      .filter(([, job]) => n - job.lastRun >= job.every)
      .map(([name]) => name);
  }
}
