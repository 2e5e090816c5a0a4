import { describe, expect, it } from "vitest";
import { TrendChart, niceMax, type TrendWeek } from "../../src/web/trend-chart.js";

const week = (w: string, n: Partial<TrendWeek> = {}): TrendWeek => ({
  week: w,
  created: 0,
  done: 0,
  canceled: 0,
  active: 0,
  overdue: 0,
  median_days_to_done: null,
  ...n,
});

const render = (weeks: TrendWeek[]) => String(<TrendChart weeks={weeks} />);

describe("TrendChart", () => {
  it("draws one accessible SVG with title, description and axis labels", () => {
    const html = render([week("2026-W46", { created: 4, done: 1, active: 7, overdue: 2 }), week("2026-W47", { created: 2, done: 3, active: 6, overdue: 1 })]);
    expect(html.match(/<svg/g)).toHaveLength(1);
    expect(html).toContain('role="img"');
    expect(html).toContain('aria-labelledby="trend-title trend-desc"');
    expect(html).toMatch(/<title id="trend-title">Items per week, 2026-W46 to 2026-W47<\/title>/);
    expect(html).toMatch(/week: created 2, done 3, active 6, overdue 1\./);
    expect(html).toContain(">W46</text>");
    expect(html).toContain(">W47</text>");
    expect(html).toContain(">Week</text>");
    expect(html).toContain(">Items</text>");
    for (const key of ["created", "done", "active", "overdue"]) expect(html).toContain(`data-series="${key}"`);
    expect(html).not.toContain("canceled");
  });

  it("plots each value against a round y maximum", () => {
    const html = render([week("2026-W46", { active: 7 }), week("2026-W47", { active: 0 })]);
    // max 7 → axis 10; plot height 184 from y=16: 7 → 16 + 184 - 128.8 = 71.2; 0 → 200.
    expect(html).toContain(">10</text>");
    expect(html).toMatch(/data-series="active"><polyline fill="none" points="44,71\.2[0-9]* 624,200"/);
    expect(html).toContain("<title>Active in 2026-W46: 7</title>");
  });

  it("escapes week labels and says so when there is nothing to chart", () => {
    const html = render([week("<img src=x onerror=alert(1)>", { created: 1 })]);
    expect(html).not.toContain("<img");
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(render([])).toContain("No weeks to chart yet.");
    expect(render([])).not.toContain("<svg");
  });

  it("niceMax rounds up to 1, 2 or 5 times a power of ten", () => {
    expect([0, 1, 3, 7, 10, 11, 48, 120].map(niceMax)).toEqual([1, 1, 5, 10, 10, 20, 50, 200]);
  });
});
