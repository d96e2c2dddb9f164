import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isoDateText } from '../../src/events/iso-date-text.js';

const DAY_MS = 86_400_000;

function written(time: number): string {
  return isoDateText(new Date(time), time);
}

describe('ISO text of a Date', () => {
  it('is what Date#toISOString writes, for dates of one day and of many, in any order', () => {
    const near = fc.tuple(
      fc.date({ noInvalidDate: true }),
      fc.array(fc.integer({ min: -2 * DAY_MS, max: 2 * DAY_MS }), { maxLength: 20 }),
    );
    fc.assert(
      fc.property(near, ([base, offsets]) => {
        for (const offset of [0, ...offsets]) {
          const date = new Date(base.getTime() + offset);
          const time = date.getTime();
          if (!Number.isNaN(time)) expect(isoDateText(date, time)).toBe(date.toISOString());
        }
      }),
      { numRuns: 300 },
    );
  });

  it('writes the edges of a day, years before 1970 and years beyond four digits', () => {
    const day = Date.UTC(2026, 0, 31);
    for (const time of [day, day + 1, day + 999, day + DAY_MS - 1, day + DAY_MS, -1, -DAY_MS - 1]) {
      expect(written(time)).toBe(new Date(time).toISOString());
    }
    for (const time of [Date.UTC(-1, 5, 1, 2, 3, 4, 5), Date.UTC(12_345, 0, 1), 8.64e15, -8.64e15]) {
      expect(written(time)).toBe(new Date(time).toISOString());
      expect(written(time + (time > 0 ? -1 : 1))).toBe(new Date(time + (time > 0 ? -1 : 1)).toISOString());
    }
  });
});
