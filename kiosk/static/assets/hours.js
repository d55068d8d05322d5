// Opening hours in the library's time zone: {"mon": [["09:00", "19:00"]], ...}; a day that
// is missing or empty is closed; `null` hours mean always open.
export const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/** Weekday key and "HH:MM" of `date` in `timeZone` (the device's zone when it is unknown). */
export function localNow(date, timeZone) {
  let parts;
  try {
    parts = new Intl.DateTimeFormat("en-GB", { timeZone: timeZone || undefined, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(date);
  } catch (_) {
    parts = new Intl.DateTimeFormat("en-GB", { weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).formatToParts(date);
  }
  const get = (type) => (parts.find((p) => p.type === type) || {}).value;
  return { day: get("weekday").slice(0, 3).toLowerCase(), time: `${get("hour")}:${get("minute")}` };
}

/** Is the library open at `date`?  Intervals include their start and exclude their end. */
export function isOpen(hours, timeZone, date = new Date()) {
  if (!hours) return true;
  const { day, time } = localNow(date, timeZone);
  return (hours[day] || []).some(([start, end]) => start <= time && time < end);
}
