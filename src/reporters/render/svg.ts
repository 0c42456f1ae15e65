// Inline SVG line charts rendered as strings (no script, no network), for report.html.

export interface ChartSeries {
  name: string;
  color: string;
  points: ReadonlyArray<readonly [number, number]>;
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly ChartSeries[];
  /** @default 640 */
  width?: number;
  /** @default 240 */
  height?: number;
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** 1, 2 or 5 × 10^k at or above `value` (axis maximum). */
export function niceCeil(value: number): number {
  if (!(value > 0)) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  const f = value / exp;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * exp;
}

const r1 = (v: number) => Math.round(v * 10) / 10;

function label(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 100) return String(Math.round(value));
  if (abs >= 1) return String(r1(value));
  return String(Number(value.toPrecision(2)));
}

export function renderLineChart(options: LineChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 240;
  const m = { top: 34, right: 16, bottom: 36, left: 56 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const all = options.series.flatMap((s) => s.points);
  const title = `<text x="${m.left}" y="16" class="t">${escapeXml(options.title)}</text>`;
  if (all.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">${title}<text x="${m.left}" y="${height / 2}" class="a">no data</text></svg>`;
  }
  const xMin = Math.min(...all.map((p) => p[0]));
  const xMax = Math.max(...all.map((p) => p[0]));
  const yMax = niceCeil(Math.max(...all.map((p) => p[1])));
  const x = (v: number) => r1(m.left + (xMax === xMin ? plotW / 2 : ((v - xMin) / (xMax - xMin)) * plotW));
  const y = (v: number) => r1(m.top + plotH - (v / yMax) * plotH);

  const parts: string[] = [title];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    parts.push(
      `<line x1="${m.left}" x2="${m.left + plotW}" y1="${y(v)}" y2="${y(v)}" class="g"/><text x="${m.left - 6}" y="${y(v) + 4}" class="a" text-anchor="end">${label(v)}</text>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const v = xMin + ((xMax - xMin) * i) / 4;
    parts.push(`<text x="${x(v)}" y="${m.top + plotH + 16}" class="a" text-anchor="middle">${label(v)}</text>`);
  }
  parts.push(
    `<text x="${m.left + plotW / 2}" y="${height - 4}" class="a" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
  );
  parts.push(
    `<text x="12" y="${m.top + plotH / 2}" class="a" text-anchor="middle" transform="rotate(-90 12 ${m.top + plotH / 2})">${escapeXml(options.yLabel)}</text>`,
  );
  let legendX = m.left + 8;
  for (const s of options.series) {
    const pts = s.points.map(([px, py]) => `${x(px)},${y(py)}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="1.6"${dash}/>`);
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 16}" y1="26" y2="26" stroke="${s.color}" stroke-width="2"${dash}/><text x="${legendX + 20}" y="30" class="a">${escapeXml(s.name)}</text>`,
    );
    legendX += 28 + s.name.length * 6.5;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(options.title)}">${parts.join('')}</svg>`;
}
