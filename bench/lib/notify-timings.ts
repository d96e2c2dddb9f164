/**
 * What the notification benchmarks time: when each version was appended, when its append call
 * answered, and when each subscriber heard of it, on the process's monotonic clock.
 */

/** Appends that open the connections and warm the code; their latencies are not kept. */
export const WARMUP_APPENDS = 100;

/** When each version was appended and when each subscriber heard of it (process.hrtime, in ns). */
export class Timings {
  readonly sent = new Map<number, bigint>();
  /** When each append's own call resolved: the part of the latency that is the append itself. */
  readonly done = new Map<number, bigint>();
  readonly heard: Map<number, bigint>[];

  constructor(subscribers: number) {
    this.heard = Array.from({ length: subscribers }, () => new Map<number, bigint>());
  }

  hear(subscriber: number, version: number, at: bigint): void {
    const heard = this.heard[subscriber]!;
    // A notification may come twice (after a reconnection, say); the first one counts.
    if (!heard.has(version)) heard.set(version, at);
  }

  complete(): boolean {
    return this.heard.every((heard) => heard.size >= this.sent.size);
  }

  /**
   * Milliseconds from append to notification for `subscriber` and from append to the append's own
   * answer, past the warm-up, and how many notifications never came.
   */
  latencies(subscriber: number): { millis: number[]; appendMillis: number[]; lost: number } {
    const millis: number[] = [];
    const appendMillis: number[] = [];
    let lost = 0;
    for (const [version, sent] of this.sent) {
      if (version <= WARMUP_APPENDS) continue;
      appendMillis.push(Number(this.done.get(version)! - sent) / 1e6);
      const heard = this.heard[subscriber]!.get(version);
      if (heard === undefined) lost++;
      else millis.push(Number(heard - sent) / 1e6);
    }
    return { millis, appendMillis, lost };
  }
}
