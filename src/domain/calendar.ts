/**
 * Calendar dates (`YYYY-MM-DD`) and ISO weeks (`YYYY-Www`), always in UTC.
 *
 * date-fns computes in the local zone, so each UTC calendar day is mapped to local midnight of the
 * same y/m/d before it is handed over: the answers then do not depend on the machine's TZ.
 */
import { addDays } from "date-fns/addDays";
import { differenceInCalendarDays } from "date-fns/differenceInCalendarDays";
import { getISOWeek } from "date-fns/getISOWeek";
import { getISOWeekYear } from "date-fns/getISOWeekYear";
import { getISOWeeksInYear } from "date-fns/getISOWeeksInYear";
import { isValid } from "date-fns/isValid";

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const WEEK_RE = /^(\d{4})-W(\d{2})$/;

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

function localDay(date: string): Date | null {
  const m = DATE_RE.exec(date);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const local = new Date(y, mo - 1, d);
  if (!isValid(local) || local.getFullYear() !== y || local.getMonth() !== mo - 1 || local.getDate() !== d) {
    return null;
  }
  return local;
}

const formatLocalDay = (d: Date) => `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/** The UTC calendar day of an instant. */
export const utcDate = (instant: Date): string => instant.toISOString().slice(0, 10);

export const isCalendarDate = (value: string): boolean => localDay(value) !== null;

export function addCalendarDays(date: string, days: number): string {
  const day = localDay(date);
  if (!day) throw new RangeError(`not a calendar date: ${date}`);
  return formatLocalDay(addDays(day, days));
}

/** Whole days from `from` to `to` (both `YYYY-MM-DD`); negative when `to` is earlier. */
export function calendarDaysBetween(from: string, to: string): number {
  const a = localDay(from);
  const b = localDay(to);
  if (!a || !b) throw new RangeError(`not a calendar date: ${a ? to : from}`);
  return differenceInCalendarDays(b, a);
}

/** The ISO week (`YYYY-Www`) of a calendar date; the year is the ISO week-year. */
export function isoWeekOf(date: string): string {
  const day = localDay(date);
  if (!day) throw new RangeError(`not a calendar date: ${date}`);
  return `${pad(getISOWeekYear(day), 4)}-W${pad(getISOWeek(day))}`;
}

/** True for `YYYY-Www` naming a week that exists (W53 only in long ISO years). */
export function isIsoWeek(value: string): boolean {
  const m = WEEK_RE.exec(value);
  if (!m) return false;
  const year = Number(m[1]);
  const week = Number(m[2]);
  // 4 January always lies in week 1 of its ISO year.
  return week >= 1 && week <= getISOWeeksInYear(new Date(year, 0, 4));
}
