// Charts as SVG text, drawn on the server by Apache ECharts' SSR renderer (no browser, no DOM):
// the same SVG goes into the PDF and into the e-mail body. Animation is off, so the SVG is the
// final picture, and sizes are fixed so pages lay out the same every time.
import * as echarts from 'echarts';

const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
export const COLORS = { bar: '#3465a4', target: '#cc0000', good: '#4e9a06', bad: '#c4a000', grey: '#888a85' } as const;

/** Charts drawn and the time spent drawing them in this process (the benchmark reads it). */
export const chartStats = { charts: 0, ms: 0 };

function svg(option: echarts.EChartsOption, width: number, height: number): string {
  const started = performance.now();
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: FONT, fontSize: 11 }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
    chartStats.charts++;
    chartStats.ms += performance.now() - started;
  }
}

export interface BarsAgainstTarget {
  categories: string[];
  bars: Array<number | null>;
  target: Array<number | null>;
  barName: string;
  targetName: string;
  format: (value: number) => string;
  width?: number;
  height?: number;
}

/** Bars (e.g. revenue by day) with a target line over them. */
export function barsAgainstTarget(c: BarsAgainstTarget): string {
  return svg(
    {
      grid: { left: 70, right: 16, top: 34, bottom: 42 },
      legend: { top: 4, data: [c.barName, c.targetName] },
      xAxis: { type: 'category', data: c.categories, axisLabel: { interval: 0, rotate: c.categories.length > 12 ? 60 : 0, fontSize: 9 } },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => c.format(v) } },
      series: [
        { name: c.barName, type: 'bar', data: c.bars, itemStyle: { color: COLORS.bar } },
        {
          name: c.targetName,
          type: 'line',
          data: c.target,
          symbol: 'diamond',
          symbolSize: 7,
          connectNulls: false,
          lineStyle: { color: COLORS.target, width: 2, type: 'dashed' },
          itemStyle: { color: COLORS.target },
        },
      ],
    },
    c.width ?? 700,
    c.height ?? 250,
  );
}

export interface HorizontalBars {
  labels: string[];
  values: number[];
  format: (value: number) => string;
  color?: string;
  width?: number;
}

/** One horizontal bar per label, largest first as given, value printed at the bar's end. */
export function horizontalBars(c: HorizontalBars): string {
  const height = Math.max(80, 28 + c.labels.length * 16);
  return svg(
    {
      grid: { left: 130, right: 90, top: 8, bottom: 20 },
      xAxis: { type: 'value', axisLabel: { formatter: (v: number) => c.format(v), fontSize: 9 } },
      yAxis: { type: 'category', data: [...c.labels].reverse(), axisLabel: { fontSize: 10 } },
      series: [
        {
          type: 'bar',
          data: [...c.values].reverse(),
          barMaxWidth: 14,
          itemStyle: { color: c.color ?? COLORS.bar },
          label: { show: true, position: 'right', fontSize: 10, formatter: (p: { value?: unknown }) => c.format(Number(p.value)) },
        },
      ],
    },
    c.width ?? 700,
    height,
  );
}

export interface LineAgainstTarget {
  times: string[];
  values: Array<number | null>;
  target: Array<number | null>;
  valueName: string;
  targetName: string;
  format: (value: number) => string;
}

/** A running total through the day (e.g. collections) against a flat target. */
export function lineAgainstTarget(c: LineAgainstTarget): string {
  return svg(
    {
      grid: { left: 70, right: 16, top: 34, bottom: 28 },
      legend: { top: 4, data: [c.valueName, c.targetName] },
      xAxis: { type: 'category', data: c.times, boundaryGap: false, axisLabel: { fontSize: 9 } },
      yAxis: { type: 'value', axisLabel: { formatter: (v: number) => c.format(v) } },
      series: [
        {
          name: c.valueName,
          type: 'line',
          data: c.values,
          symbol: 'circle',
          symbolSize: 4,
          showSymbol: c.values.filter((v) => v !== null).length < 24,
          connectNulls: false,
          areaStyle: { opacity: 0.15 },
          lineStyle: { color: COLORS.bar, width: 2 },
          itemStyle: { color: COLORS.bar },
        },
        {
          name: c.targetName,
          type: 'line',
          data: c.target,
          symbol: 'none',
          lineStyle: { color: COLORS.target, width: 2, type: 'dashed' },
          itemStyle: { color: COLORS.target },
        },
      ],
    },
    700,
    220,
  );
}
