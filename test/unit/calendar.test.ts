import { describe, expect, it } from "vitest";
import { addCalendarDays, calendarDaysBetween, isCalendarDate, isIsoWeek, isoWeekOf } from "../../src/domain/calendar.js";

describe("ISO weeks", () => {
  it.each([
    ["2025-12-29", "2026-W01"],
    ["2027-01-01", "2026-W53"],
    ["2027-01-03", "2026-W53"],
    ["2027-01-04", "2027-W01"],
    ["2026-02-16", "2026-W08"],
    ["2024-12-30", "2025-W01"],
    ["2021-01-03", "2020-W53"],
  ])("%s is in %s", (date, week) => {
    expect(isoWeekOf(date)).toBe(week);
  });

  it.each([
    ["2026-W53", true],
    ["2025-W53", false],
    ["2020-W53", true],
    ["2026-W00", false],
    ["2026-W8", false],
    ["2026-08", false],
  ])("isIsoWeek(%s) is %s", (week, valid) => {
    expect(isIsoWeek(week)).toBe(valid);
  });

  it("does not depend on the machine's time zone", () => {
    const before = process.env.TZ;
    try {
      for (const tz of ["Pacific/Kiritimati", "America/Adak", "UTC"]) {
        process.env.TZ = tz;
        expect(isoWeekOf("2027-01-01")).toBe("2026-W53");
        expect(addCalendarDays("2026-03-28", 1)).toBe("2026-03-29");
      }
    } finally {
      process.env.TZ = before;
    }
  });
});

describe("calendar dates", () => {
  it("adds days across month, year and leap-day boundaries", () => {
    expect(addCalendarDays("2026-02-16", 14)).toBe("2026-03-02");
    expect(addCalendarDays("2026-12-25", 7)).toBe("2027-01-01");
    expect(addCalendarDays("2028-02-28", 1)).toBe("2028-02-29");
  });

  it("rejects dates that do not exist", () => {
    expect(isCalendarDate("2026-02-30")).toBe(false);
    expect(isCalendarDate("2026-13-01")).toBe(false);
    expect(isCalendarDate("26-01-01")).toBe(false);
    expect(isCalendarDate("2028-02-29")).toBe(true);
  });

  it("counts days between dates", () => {
    expect(calendarDaysBetween("2026-01-01", "2026-03-01")).toBe(59);
    expect(calendarDaysBetween("2026-03-01", "2026-01-01")).toBe(-59);
  });
});
