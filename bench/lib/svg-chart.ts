/**
 * A latency distribution chart as a self-contained SVG: one cumulative distribution curve per
 * series on a logarithmic time axis, with p50 and p99 marked. Hand-written so the report needs
 * no plotting dependency and renders on GitHub as an image.
 */

/** One curve: a name and its latency samples in milliseconds. */
export interface ChartSeries {
  readonly name: string;
  readonly samplesMs: readonly number[];
}

/** Options for {@link latencyCdfSvg}. */
export interface ChartOptions {
  /** @default 'Latency distribution' */
  readonly title?: string;
  /** @default 760 */
  readonly width?: number;
  /** @default 420 */
  readonly height?: number;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function tickLabel(ms: number): string {
  if (ms >= 1000) return `${ms / 1000} s`;
  if (ms >= 1) return `${ms} ms`;
  return `${ms * 1000} µs`;
}

/** Renders the cumulative distribution of every series as an SVG document. */
export function latencyCdfSvg(series: readonly ChartSeries[], options: ChartOptions = {}): string {
  const frame = chartFrame(series, options.width ?? 760, options.height ?? 420);
  const { width, height, margin, plotW, plotH } = frame;
  return `${[
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${margin.left}" y="24" font-size="15" font-weight="bold">${escapeXml(options.title ?? 'Latency distribution')}</text>`,
    ...gridLines(frame),
    `<text x="${margin.left + plotW / 2}" y="${height - 10}" text-anchor="middle">latency (log scale)</text>`,
    `<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">share of events at or below</text>`,
    ...series.flatMap((s, index) => curve(frame, s, index)),
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`,
    '</svg>',
  ].join('\n')}\n`;
}

/** The plot's size and its scales: decades of milliseconds on x (log), the share of events on y. */
function chartFrame(series: readonly ChartSeries[], width: number, height: number) {
  const margin = { top: 40, right: 170, bottom: 50, left: 60 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const all = series.flatMap((s) => s.samplesMs).filter((v) => v > 0);
  const lo = all.length ? Math.min(...all) : 0.1;
  const hi = all.length ? Math.max(...all) : 10;
  const minExp = Math.floor(Math.log10(lo));
  const maxExp = Math.max(minExp + 1, Math.ceil(Math.log10(hi)));
  const x = (ms: number) =>
    margin.left + ((Math.log10(Math.max(ms, 10 ** minExp)) - minExp) / (maxExp - minExp)) * plotW;
  const y = (fraction: number) => margin.top + (1 - fraction) * plotH;
  return { width, height, margin, plotW, plotH, minExp, maxExp, x, y };
}

type ChartFrame = ReturnType<typeof chartFrame>;

/** Grid: decades (and 2×, 5×) on x, every 10 % on y, and the p50 and p99 lines. */
function gridLines({ margin, plotW, plotH, minExp, maxExp, x, y }: ChartFrame): string[] {
  const parts: string[] = [];
  for (let exp = minExp; exp <= maxExp; exp += 1) {
    for (const m of [1, 2, 5]) {
      const value = m * 10 ** exp;
      if (value > 10 ** maxExp) continue;
      const px = x(value).toFixed(1);
      parts.push(
        `<line x1="${px}" y1="${margin.top}" x2="${px}" y2="${margin.top + plotH}" stroke="${m === 1 ? '#bbbbbb' : '#e5e5e5'}"/>`,
        `<text x="${px}" y="${margin.top + plotH + 16}" text-anchor="middle" fill="#444">${tickLabel(Number(value.toPrecision(3)))}</text>`,
      );
    }
  }
  for (let i = 0; i <= 10; i += 1) {
    const py = y(i / 10).toFixed(1);
    parts.push(
      `<line x1="${margin.left}" y1="${py}" x2="${margin.left + plotW}" y2="${py}" stroke="${i % 5 === 0 ? '#bbbbbb' : '#eeeeee'}"/>`,
      `<text x="${margin.left - 6}" y="${py}" dy="4" text-anchor="end" fill="#444">${i * 10}%</text>`,
    );
  }
  for (const fraction of [0.5, 0.99]) {
    const py = y(fraction).toFixed(1);
    parts.push(
      `<line x1="${margin.left}" y1="${py}" x2="${margin.left + plotW}" y2="${py}" stroke="#888" stroke-dasharray="4 3"/>`,
      `<text x="${margin.left + plotW - 4}" y="${py}" dy="-3" text-anchor="end" fill="#666">p${fraction * 100}</text>`,
    );
  }
  return parts;
}

/** One series' curve and its legend entry. */
function curve({ margin, plotW, x, y }: ChartFrame, s: ChartSeries, index: number): string[] {
  const color = COLORS[index % COLORS.length]!;
  const sorted = [...s.samplesMs].sort((a, b) => a - b);
  // At most ~400 points per curve keeps the file small without visible loss.
  const step = Math.max(1, Math.floor(sorted.length / 400));
  const points: string[] = [];
  for (let i = 0; i < sorted.length; i += step) {
    points.push(`${x(sorted[i]!).toFixed(1)},${y((i + 1) / sorted.length).toFixed(1)}`);
  }
  if (sorted.length) points.push(`${x(sorted.at(-1)!).toFixed(1)},${y(1).toFixed(1)}`);
  const ly = margin.top + 14 + index * 20;
  return [
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>`,
    `<line x1="${margin.left + plotW + 14}" y1="${ly - 4}" x2="${margin.left + plotW + 34}" y2="${ly - 4}" stroke="${color}" stroke-width="3"/>`,
    `<text x="${margin.left + plotW + 40}" y="${ly}">${escapeXml(s.name)}</text>`,
  ];
}
