/**
 * A small hand-written SVG of the growth curves: one panel per series, a log
 * x axis, a linear y axis from 0, one line per stack. Pure (no I/O), so it is
 * unit-tested while the rest of the bench is not.
 */

export interface GrowthLine {
  readonly name: string;
  /** Points with a missing or non-finite `y` (a failed run) are left out. */
  readonly points: readonly { readonly x: number; readonly y: number }[];
}

export interface GrowthPanel {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly lines: readonly GrowthLine[];
}

const PANEL_WIDTH = 440;
const PANEL_HEIGHT = 250;
const MARGIN = { left: 62, right: 14, top: 40, bottom: 42 } as const;
const HEADER = 28;
const Y_TICKS = 4;
// Distinguishable for colour-blind readers (Okabe–Ito).
const COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9'] as const;

/** Renders `panels` in a grid of `columns`, 880 px wide for two: GitHub's content width. */
export function renderGrowthSvg(panels: readonly GrowthPanel[], title: string, columns = 2): string {
  const rows = Math.ceil(panels.length / columns);
  const width = PANEL_WIDTH * columns;
  const height = HEADER + PANEL_HEIGHT * rows;
  const body = panels.map((panel, i) =>
    renderPanel(panel, (i % columns) * PANEL_WIDTH, HEADER + Math.floor(i / columns) * PANEL_HEIGHT),
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

function renderPanel(panel: GrowthPanel, left: number, top: number): string {
  const x0 = left + MARGIN.left;
  const x1 = left + PANEL_WIDTH - MARGIN.right;
  const y0 = top + PANEL_HEIGHT - MARGIN.bottom;
  const y1 = top + MARGIN.top;
  const lines = panel.lines.map((line) => ({ name: line.name, points: line.points.filter((p) => p.x > 0 && Number.isFinite(p.y)) }));
  const xs = lines.flatMap((l) => l.points.map((p) => p.x));
  const ys = lines.flatMap((l) => l.points.map((p) => p.y));
  const lowDecade = Math.floor(Math.log10(xs.length ? Math.min(...xs) : 1));
  // The axis ends at the largest x, not at the next decade: 1 MiB would otherwise leave most of a decade empty.
  const high = Math.max(lowDecade + 1, Math.log10(xs.length ? Math.max(...xs) : 10));
  const yMax = niceCeiling(ys.length ? Math.max(...ys) : 1);
  const sx = (x: number): number => x0 + ((Math.log10(x) - lowDecade) / (high - lowDecade)) * (x1 - x0);
  const sy = (y: number): number => y0 - (Math.max(0, y) / yMax) * (y0 - y1);
  const out: string[] = [`<g>`, `<text x="${left + PANEL_WIDTH / 2}" y="${top + 16}" text-anchor="middle" font-size="12" font-weight="bold">${escapeXml(panel.title)}</text>`];
  for (let d = lowDecade; d <= high + 1e-9; d++) {
    const x = round(sx(10 ** d));
    out.push(`<line x1="${x}" y1="${y1}" x2="${x}" y2="${y0}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x}" y="${y0 + 14}" text-anchor="middle">${compact(10 ** d)}</text>`);
  }
  for (let i = 0; i <= Y_TICKS; i++) {
    const value = (yMax * i) / Y_TICKS;
    const y = round(sy(value));
    out.push(`<line x1="${x0}" y1="${y}" x2="${x1}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x0 - 4}" y="${y + 4}" text-anchor="end">${compact(value)}</text>`);
  }
  out.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#888888"/>`);
  out.push(`<text x="${(x0 + x1) / 2}" y="${y0 + 32}" text-anchor="middle">${escapeXml(panel.xLabel)} (log scale)</text>`);
  out.push(
    `<text x="${left + 14}" y="${(y0 + y1) / 2}" text-anchor="middle" transform="rotate(-90 ${left + 14} ${(y0 + y1) / 2})">${escapeXml(panel.yLabel)}</text>`,
  );
  lines.forEach((line, i) => {
    const points = line.points.map((p) => `${round(sx(p.x))},${round(sy(p.y))}`).join(' ');
    const colour = COLOURS[i % COLOURS.length];
    out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${points}"/>`);
    // Markers show where the measured points are, and a line of one point at all.
    for (const p of line.points) out.push(`<circle cx="${round(sx(p.x))}" cy="${round(sy(p.y))}" r="2.5" fill="${colour}"/>`);
  });
  // The legend sits in the top-left corner, over the lines on a light backing so that both stay readable.
  const legendWidth = 30 + 6 * Math.max(0, ...lines.map((l) => l.name.length));
  out.push(`<rect x="${x0 + 2}" y="${y1 + 2}" width="${legendWidth}" height="${lines.length * 13 + 4}" fill="#ffffff" fill-opacity="0.8"/>`);
  lines.forEach((line, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const ly = y1 + 12 + i * 13;
    out.push(`<line x1="${x0 + 6}" y1="${ly - 4}" x2="${x0 + 20}" y2="${ly - 4}" stroke="${colour}" stroke-width="2"/>`);
    out.push(`<text x="${x0 + 24}" y="${ly}">${escapeXml(line.name)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

/** 1, 2 or 5 times a power of ten, at or above `value`. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

/** 1500 → "1.5k", 2000000 → "2M": tick labels stay short. */
export function compact(value: number): string {
  const units: [number, string][] = [
    [1e9, 'G'],
    [1e6, 'M'],
    [1e3, 'k'],
  ];
  for (const [size, unit] of units) {
    if (Math.abs(value) >= size) return `${trim(value / size)}${unit}`;
  }
  return trim(value);
}

function trim(value: number): string {
  return String(Number(value.toFixed(value < 10 ? 2 : 1)));
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
