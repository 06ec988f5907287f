/**
 * A small time-series chart drawn as SVG: one or a few lines over a time range, a y axis from 0
 * with round ticks, time ticks, and a legend that reads out the latest values, or the values
 * under the pointer. Hand-made: the VM page shows three small charts, and a chart library would
 * weigh more than the page around them.
 */
import { useMemo, useState } from 'preact/hooks';
import { niceTicks, timeTicks } from './chart-scale.js';

/** A point: time (ms since the epoch) and value. */
export interface ChartPoint {
  readonly t: number;
  readonly v: number;
}

/** One line of a chart. */
export interface ChartSeries {
  readonly label: string;
  /** Oldest first. */
  readonly points: readonly ChartPoint[];
}

/** Props of {@link LineChart}. */
export interface LineChartProps {
  /** Id of the svg element. */
  readonly id: string;
  readonly title: string;
  readonly from: number;
  readonly to: number;
  readonly series: readonly ChartSeries[];
  /** Formats a value for the axis and the legend. */
  readonly format: (v: number) => string;
  /** The y axis reaches at least this (100 for a percentage, say). */
  readonly floorMax?: number;
  /** Round ticks in units of 1024 (bytes) rather than 1000. */
  readonly binary?: boolean;
  /** Points further apart than this are not joined: the VM was not running in between. */
  readonly gapMs: number;
}

// The drawing's own coordinates; the svg scales to its container's width.
const W = 340;
const H = 150;
const pad = { left: 52, right: 8, top: 8, bottom: 20 };
const plotW = W - pad.left - pad.right;
const plotH = H - pad.top - pad.bottom;

/** A line chart of `series` between `from` and `to`. */
export function LineChart({ id, title, from, to, series, format, floorMax = 0, binary = false, gapMs }: LineChartProps) {
  const [hoverT, setHoverT] = useState<number | undefined>(undefined);
  const span = Math.max(1, to - from);
  const dataMax = Math.max(0, ...series.flatMap((s) => s.points.map((p) => p.v)));
  const yTicks = useMemo(() => niceTicks(Math.max(dataMax, floorMax), binary), [dataMax, floorMax, binary]);
  const yMax = yTicks[yTicks.length - 1]!;
  const x = (t: number) => pad.left + ((t - from) / span) * plotW;
  const y = (v: number) => pad.top + plotH - (v / yMax) * plotH;
  const tTicks = useMemo(() => timeTicks(from, to), [from, to]);
  const tickSeconds = tTicks.length > 1 && tTicks[1]! - tTicks[0]! < 60_000;
  const shown = series.map((s) => (hoverT === undefined ? s.points[s.points.length - 1] : nearest(s.points, hoverT, gapMs)));
  const at = hoverT === undefined ? undefined : shown.find((p) => p !== undefined)?.t;
  const latest = series.map((s, i) => `${s.label} ${shown[i] ? format(shown[i].v) : 'no data'}`).join(', ');

  const onMove = (e: PointerEvent) => {
    const box = (e.currentTarget as SVGSVGElement).getBoundingClientRect();
    const px = ((e.clientX - box.left) / box.width) * W;
    setHoverT(px < pad.left || px > W - pad.right ? undefined : from + ((px - pad.left) / plotW) * span);
  };

  return (
    <figure class="chart">
      <figcaption class="chart-head">
        <span class="chart-title">{title}</span>
        <span class="chart-legend" id={`${id}-legend`}>
          {at !== undefined && <span class="muted">{clock(at, true)}</span>}
          {series.map((s, i) => (
            <span key={s.label} class="chart-legend-item">
              <i class={`swatch s${i}`} aria-hidden="true" />
              {s.label} <b>{shown[i] ? format(shown[i].v) : '—'}</b>
            </span>
          ))}
        </span>
      </figcaption>
      <svg
        id={id}
        class="chart-svg"
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${title} from ${clock(from)} to ${clock(to)}: ${latest}`}
        onPointerMove={onMove}
        onPointerLeave={() => setHoverT(undefined)}
      >
        {yTicks.map((v) => (
          <g key={v} class="chart-rule">
            <line x1={pad.left} x2={W - pad.right} y1={y(v)} y2={y(v)} />
            <text x={pad.left - 5} y={y(v)} dy="0.32em" text-anchor="end">
              {format(v)}
            </text>
          </g>
        ))}
        {tTicks.map((t) => (
          <text key={t} class="chart-time" x={x(t)} y={H - 5} text-anchor="middle">
            {clock(t, tickSeconds)}
          </text>
        ))}
        {series.map((s, i) => (
          <g key={s.label} class={`s${i}`}>
            {i === 0 && series.length === 1 && <path class="chart-area" d={areaPath(s.points, x, y, gapMs, y(0))} />}
            <path class="chart-line" d={linePath(s.points, x, y, gapMs)} />
          </g>
        ))}
        {at !== undefined && (
          <g class="chart-cursor">
            <line x1={x(at)} x2={x(at)} y1={pad.top} y2={pad.top + plotH} />
            {shown.map((p, i) => p && <circle key={i} class={`s${i}`} cx={x(p.t)} cy={y(p.v)} r={3} />)}
          </g>
        )}
      </svg>
    </figure>
  );
}

/** Runs of points with no gap longer than `gapMs` between neighbours. */
function runs(points: readonly ChartPoint[], gapMs: number): ChartPoint[][] {
  const out: ChartPoint[][] = [];
  let prev: ChartPoint | undefined;
  for (const p of points) {
    if (!prev || p.t - prev.t > gapMs) out.push([]);
    out[out.length - 1]!.push(p);
    prev = p;
  }
  return out;
}

function linePath(points: readonly ChartPoint[], x: (t: number) => number, y: (v: number) => number, gapMs: number): string {
  // A run of one point still shows, as a short flat stroke.
  return runs(points, gapMs)
    .map((r) => `M${x(r[0]!.t).toFixed(1)},${y(r[0]!.v).toFixed(1)}` + (r.length === 1 ? 'h1' : r.slice(1).map((p) => `L${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join('')))
    .join('');
}

function areaPath(points: readonly ChartPoint[], x: (t: number) => number, y: (v: number) => number, gapMs: number, base: number): string {
  return runs(points, gapMs)
    .filter((r) => r.length > 1)
    .map((r) => `M${x(r[0]!.t).toFixed(1)},${base}` + r.map((p) => `L${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join('') + `L${x(r[r.length - 1]!.t).toFixed(1)},${base}Z`)
    .join('');
}

/** The point nearest to `t`, if one lies within `gapMs` of it. */
function nearest(points: readonly ChartPoint[], t: number, gapMs: number): ChartPoint | undefined {
  let lo = 0;
  let hi = points.length - 1;
  if (hi < 0) return undefined;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  const after = points[lo]!;
  const before = points[lo - 1];
  const best = before && t - before.t < after.t - t ? before : after;
  return Math.abs(best.t - t) <= gapMs ? best : undefined;
}

function clock(t: number, seconds = false): string {
  return new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}), hour12: false });
}
