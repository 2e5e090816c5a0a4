// The weekly trend chart of the board: an inline SVG drawn on the server (no script, no library).
// Pure: same weeks in, same markup out. Numbers come from the `backlog report` rows.

import type { WeekFigures } from "../domain/report.js";

/** One row of `backlog report`: the chart draws what the report computes. */
export type TrendWeek = WeekFigures;

type Series = { key: "created" | "done" | "active" | "overdue"; label: string; className: string };

export const TREND_SERIES: readonly Series[] = [
  { key: "created", label: "Created", className: "trend-created" },
  { key: "done", label: "Done", className: "trend-done" },
  { key: "active", label: "Active", className: "trend-active" },
  { key: "overdue", label: "Overdue", className: "trend-overdue" },
];

const WIDTH = 640;
const HEIGHT = 240;
const PAD = { top: 16, right: 16, bottom: 40, left: 44 };

/** A round upper bound for the y axis (1, 2, 5 × 10^n), never below 1. */
export function niceMax(value: number): number {
  if (value <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * magnitude >= value) return step * magnitude;
  }
  return 10 * magnitude;
}

export function TrendChart({ weeks, id = "trend" }: { weeks: readonly TrendWeek[]; id?: string }) {
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  if (weeks.length === 0) {
    return <p class="trend-empty">No weeks to chart yet.</p>;
  }
  const max = niceMax(Math.max(0, ...weeks.flatMap((w) => TREND_SERIES.map((s) => w[s.key]))));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (weeks.length === 1 ? plotW / 2 : (i * plotW) / (weeks.length - 1));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const ticks = [0, max / 2, max];
  const first = weeks[0]!.week;
  const last = weeks[weeks.length - 1]!.week;
  const summary = TREND_SERIES.map((s) => `${s.label.toLowerCase()} ${weeks[weeks.length - 1]![s.key]}`).join(", ");
  return (
    <figure class="trend">
      <svg
        class="trend-chart"
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${titleId} ${descId}`}
      >
        <title id={titleId}>Items per week, {first} to {last}</title>
        <desc id={descId}>
          Created, done, active and overdue items for {weeks.length} week{weeks.length === 1 ? "" : "s"}. Last
          week: {summary}.
        </desc>
        <g class="trend-axis">
          <line x1={PAD.left} y1={PAD.top + plotH} x2={WIDTH - PAD.right} y2={PAD.top + plotH} />
          <line x1={PAD.left} y1={PAD.top} x2={PAD.left} y2={PAD.top + plotH} />
          {ticks.map((t) => (
            <text x={PAD.left - 6} y={y(t) + 4} text-anchor="end">
              {formatTick(t)}
            </text>
          ))}
          {weeks.map((w, i) => (
            <text x={x(i)} y={HEIGHT - PAD.bottom + 16} text-anchor="middle">
              {shortWeek(w.week)}
            </text>
          ))}
          <text x={PAD.left + plotW / 2} y={HEIGHT - 6} text-anchor="middle">
            Week
          </text>
          <text x={12} y={PAD.top + plotH / 2} text-anchor="middle" transform={`rotate(-90 12 ${PAD.top + plotH / 2})`}>
            Items
          </text>
        </g>
        {TREND_SERIES.map((s) => (
          <g class={`trend-series ${s.className}`} data-series={s.key}>
            <polyline fill="none" points={weeks.map((w, i) => `${x(i)},${y(w[s.key])}`).join(" ")} />
            {weeks.map((w, i) => (
              <circle cx={x(i)} cy={y(w[s.key])} r="3">
                <title>
                  {s.label} in {w.week}: {w[s.key]}
                </title>
              </circle>
            ))}
          </g>
        ))}
      </svg>
      <figcaption class="trend-legend">
        {TREND_SERIES.map((s) => (
          <span class={`trend-key ${s.className}`}>{s.label}</span>
        ))}
      </figcaption>
    </figure>
  );
}

function formatTick(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** "2026-W47" → "W47"; other labels are shown as they are. */
function shortWeek(week: string): string {
  const match = /^\d{4}-(W\d{2})$/.exec(week);
  return match ? match[1]! : week;
}
