/**
 * Unix seconds as ISO-8601 UTC (`2024-06-10T07:13:20Z`), computed by arithmetic: core/ reads no
 * clock and builds no `Date` (docs/architecture.md, "Time"), yet hint sentences name times readably.
 */

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

/**
 * `seconds` (any integer, negative too) as `YYYY-MM-DDTHH:MM:SSZ` in the proleptic Gregorian
 * calendar; a fraction is dropped. Days to a civil date by the era method of H. Hinnant's
 * `civil_from_days`.
 */
export function isoUtc(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const s = Math.floor(seconds);
  const days = Math.floor(s / 86_400);
  const secondOfDay = s - days * 86_400;
  const z = days + 719_468; // days since 0000-03-01
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  const hh = Math.floor(secondOfDay / 3600);
  const mm = Math.floor((secondOfDay % 3600) / 60);
  const ss = secondOfDay % 60;
  const yyyy = year < 0 ? `-${pad(-year, 4)}` : pad(year, 4);
  return `${yyyy}-${pad(month, 2)}-${pad(day, 2)}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}Z`;
}
