// The text of the current second, kept: formatting a Date costs about a microsecond, and a busy
// service stamps thousands of lines and events within the same second.
let cachedSecond = Number.NaN;
let cachedPrefix = "";

/** `new Date(ms).toISOString()` ("2026-12-02T00:47:17.123Z"), with the date formatted once a second. */
export function isoTime(ms: number): string {
  const whole = Math.trunc(ms); // as Date does
  const second = Math.floor(whole / 1000);
  if (second !== cachedSecond) {
    // Everything up to the milliseconds: "2026-12-02T00:47:17." (a 6-digit year has a sign).
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, -4);
    cachedSecond = second;
  }
  const millis = whole - second * 1000;
  return `${cachedPrefix}${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
}

/** pino's `timestamp` option: the same `"time"` field as pino.stdTimeFunctions.isoTime. */
export function isoTimestamp(): string {
  return `,"time":"${isoTime(Date.now())}"`;
}
