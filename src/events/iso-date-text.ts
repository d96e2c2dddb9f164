/**
 * A Date's ISO-8601 text, exactly as the built-in `Date.prototype.toISOString` writes it, but
 * faster: the built-in is a good part of the cost of encoding a small event. The date part is the
 * built-in's own text, kept for the last day seen (events fired together share a day); only the
 * time of day is written here.
 */

const DAY_MS = 86_400_000;
const toIsoString = Date.prototype.toISOString;

let cachedDay = Number.NaN;
/** `YYYY-MM-DDT` (or the expanded `±YYYYYY-MM-DDT`) of `cachedDay`. */
let cachedDayText = '';

/** The ISO text of `date`, whose time value `time` is valid (not NaN). */
export function isoDateText(date: Date, time: number): string {
  const day = Math.floor(time / DAY_MS);
  if (day !== cachedDay) {
    const iso = toIsoString.call(date);
    cachedDayText = iso.slice(0, iso.indexOf('T') + 1);
    cachedDay = day;
    return iso;
  }
  const inDay = time - day * DAY_MS;
  const seconds = Math.floor(inDay / 1000);
  const hours = twoDigits(Math.floor(seconds / 3600));
  const minutes = twoDigits(Math.floor(seconds / 60) % 60);
  return `${cachedDayText}${hours}:${minutes}:${twoDigits(seconds % 60)}.${threeDigits(inDay % 1000)}Z`;
}

function twoDigits(value: number): string {
  return value < 10 ? `0${value}` : `${value}`;
}

function threeDigits(value: number): string {
  return value < 10 ? `00${value}` : value < 100 ? `0${value}` : `${value}`;
}
