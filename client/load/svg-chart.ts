/**
 * Small inline SVG charts for the HTML report: line charts and stacked bar charts with axes,
 * ticks, a legend and native tooltips (`<title>`). Pure string building: no script, no external
 * resource, every text escaped.
 */

/** Escapes text for HTML and SVG content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

/** One series: `values[i]` belongs to `x[i]` of the chart (null: no value there). */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly values: readonly (number | null)[];
  /** Draw dashed (line charts). */
  readonly dashed?: boolean;
}

export interface ChartSpec {
  readonly title: string;
  readonly x: readonly number[];
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  readonly width?: number;
  readonly height?: number;
  /** Use a log-10 y axis (latencies spread over decades). */
  readonly logY?: boolean;
}

const M = { left: 64, right: 16, top: 34, bottom: 44 };

/** Round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const span = max - min;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const norm = step0 / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function fmt(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6) return `${Number((v / 1e6).toPrecision(3))}M`;
  if (a >= 1e4) return `${Number((v / 1e3).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

interface Frame {
  readonly w: number;
  readonly h: number;
  readonly sx: (x: number) => number;
  readonly sy: (y: number) => number;
  readonly parts: string[];
}

function frame(spec: ChartSpec, yMin: number, yMax: number, stackedBars: boolean): Frame {
  const w = spec.width ?? 760;
  const h = spec.height ?? 260;
  const xs = spec.x;
  // Time axes start at 0 (a bar covers the interval before its x; a line point sits at its x).
  const xMin = Math.min(0, stackedBars ? Math.min(...xs) - 1 : Math.min(...xs));
  const xMax = Math.max(...xs);
  const pw = w - M.left - M.right;
  const ph = h - M.top - M.bottom;
  const sx = (x: number): number => M.left + (xMax === xMin ? pw / 2 : ((x - xMin) / (xMax - xMin)) * pw);
  const log = spec.logY === true;
  const ly = (y: number): number => (log ? Math.log10(Math.max(y, yMin)) : y);
  const lo = ly(yMin);
  const hi = ly(yMax);
  const sy = (y: number): number => M.top + ph - (hi === lo ? ph / 2 : ((ly(y) - lo) / (hi - lo)) * ph);
  const parts: string[] = [];
  parts.push(`<text x="${M.left}" y="20" class="t">${escapeHtml(spec.title)}</text>`);
  // y grid and ticks
  const yTicks = log ? logTicks(yMin, yMax) : niceTicks(yMin, yMax);
  for (const t of yTicks) {
    const y = sy(t).toFixed(1);
    parts.push(`<line x1="${M.left}" x2="${w - M.right}" y1="${y}" y2="${y}" class="g"/><text x="${M.left - 6}" y="${y}" class="yl">${fmt(t)}</text>`);
  }
  for (const t of niceTicks(Math.max(0, xMin), xMax, 8)) {
    const x = sx(t).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${M.top + ph}" y2="${M.top + ph + 4}" class="a"/><text x="${x}" y="${M.top + ph + 16}" class="xl">${fmt(t)}</text>`);
  }
  parts.push(`<line x1="${M.left}" x2="${w - M.right}" y1="${M.top + ph}" y2="${M.top + ph}" class="a"/><line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" class="a"/>`);
  parts.push(`<text x="${M.left + pw / 2}" y="${h - 6}" class="xl">${escapeHtml(spec.xLabel)}</text>`);
  parts.push(`<text transform="translate(14 ${M.top + ph / 2}) rotate(-90)" class="xl">${escapeHtml(spec.yLabel)}</text>`);
  // legend
  let lx = w - M.right;
  for (const s of [...spec.series].reverse()) {
    const label = escapeHtml(s.name);
    lx -= 18 + s.name.length * 6.5;
    parts.push(`<rect x="${lx.toFixed(1)}" y="10" width="10" height="10" fill="${s.color}"/><text x="${(lx + 14).toFixed(1)}" y="19" class="lg">${label}</text>`);
  }
  return { w, h, sx, sy, parts };
}

function logTicks(min: number, max: number): number[] {
  const out: number[] = [];
  const lo = Math.floor(Math.log10(min));
  const hi = Math.ceil(Math.log10(max));
  const mantissas = hi - lo > 3 ? [1] : [1, 2, 5];
  for (let e = lo; e <= hi; e++) {
    for (const m of mantissas) {
      const v = m * 10 ** e;
      if (v >= min * 0.999 && v <= max * 1.001) out.push(Number(v.toPrecision(6)));
    }
  }
  return out.length > 0 ? out : [min, max];
}

function svg(f: Frame, label: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${f.w} ${f.h}" width="${f.w}" height="${f.h}" role="img" aria-label="${escapeHtml(label)}">${f.parts.join("")}</svg>`;
}

/** A line chart; points with a null value break the line. */
export function lineChart(spec: ChartSpec): string {
  const values = spec.series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  if (spec.x.length === 0 || values.length === 0) return `<p class="empty">${escapeHtml(spec.title)}: no data</p>`;
  const log = spec.logY === true;
  const positive = values.filter((v) => v > 0);
  const yMin = log ? Math.max(1e-3, 10 ** Math.floor(Math.log10(Math.min(...(positive.length > 0 ? positive : [1]))))) : 0;
  const top = Math.max(...values);
  const yMax = log ? 10 ** Math.ceil(Math.log10(Math.max(top, yMin * 10))) : top > 0 ? top * 1.08 : 1;
  const f = frame(spec, yMin, yMax, false);
  for (const s of spec.series) {
    let d = "";
    let pen = false;
    s.values.forEach((v, i) => {
      const x = spec.x[i];
      if (v === null || x === undefined || !Number.isFinite(v)) {
        pen = false;
        return;
      }
      d += `${pen ? "L" : "M"}${f.sx(x).toFixed(1)} ${f.sy(Math.max(v, yMin)).toFixed(1)}`;
      pen = true;
    });
    f.parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"${s.dashed === true ? ' stroke-dasharray="5 3"' : ""}><title>${escapeHtml(s.name)}</title></path>`);
    s.values.forEach((v, i) => {
      const x = spec.x[i];
      if (v === null || x === undefined || !Number.isFinite(v)) return;
      f.parts.push(`<circle cx="${f.sx(x).toFixed(1)}" cy="${f.sy(Math.max(v, yMin)).toFixed(1)}" r="2" fill="${s.color}"><title>${escapeHtml(`${s.name} at ${fmt(x)}: ${fmt(v)}`)}</title></circle>`);
    });
  }
  return svg(f, spec.title);
}

/** Stacked bars, one per x. */
export function stackedBarChart(spec: ChartSpec): string {
  if (spec.x.length === 0) return `<p class="empty">${escapeHtml(spec.title)}: no data</p>`;
  const totals = spec.x.map((_, i) => spec.series.reduce((s, ser) => s + (ser.values[i] ?? 0), 0));
  const yMax = Math.max(1, ...totals) * 1.08;
  const f = frame(spec, 0, yMax, true);
  const step = spec.x.length > 1 ? Math.abs(f.sx(spec.x[1]!) - f.sx(spec.x[0]!)) : 40;
  const bw = Math.max(1, step * 0.8);
  spec.x.forEach((x, i) => {
    let base = 0;
    for (const s of spec.series) {
      const v = s.values[i] ?? 0;
      if (v <= 0) continue;
      const y0 = f.sy(base);
      const y1 = f.sy(base + v);
      const cx = f.sx(x) - step / 2;
      f.parts.push(`<rect x="${(cx - bw / 2).toFixed(1)}" y="${y1.toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(0.5, y0 - y1).toFixed(1)}" fill="${s.color}"><title>${escapeHtml(`${s.name} in (${fmt(x - 1)}, ${fmt(x)}]: ${v}`)}</title></rect>`);
      base += v;
    }
  });
  return svg(f, spec.title);
}

/** The CSS the charts need (embedded once per page). */
export const CHART_CSS =
  "svg{display:block;margin:8px 0 18px;max-width:100%;height:auto;font:11px system-ui,sans-serif}" +
  ".t{font-weight:600;font-size:13px}.g{stroke:#e3e3e3}.a{stroke:#777}.yl{text-anchor:end;dominant-baseline:middle;fill:#444}" +
  ".xl{text-anchor:middle;fill:#444}.lg{fill:#333}";
