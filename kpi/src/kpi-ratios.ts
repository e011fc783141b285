// Everything a KPI that declares a ratio and an alert in the contract (contract/src/kpis.ts:
// `ratio`, `alert`) gets without anyone writing it: its recording rules (the per-label counts, the
// KPI's series and one ratio per breakdown label), its alert with one level per threshold, and
// promtool cases for both. A new ratio KPI is then a declaration plus its runbook's prose.
import { ALL_FAMILIES, breakdownSeries, KPIS, ratioParts, windowWords, type Kpi, type KpiRatio } from '@paywatch/contract';
import { CATEGORIES, pct, ROOT_CAUSES, TEAMS } from './alert-labels.ts';
import type { AlertDefinition, AlertLevel } from './alerts.ts';
import type { RecordingGroup } from './recording.ts';
import type { AlertCase, RecordingCase, Series, TestFile } from './rule-tests.ts';

type RatioKpi = Kpi & { ratio: KpiRatio };

/** The KPIs whose rules are generated here, checked against the families they count. */
export function ratioKpis(): RatioKpi[] {
  const kpis = (KPIS as readonly Kpi[]).filter((k): k is RatioKpi => k.ratio !== undefined);
  for (const k of kpis) {
    const family = ALL_FAMILIES.find((f) => f.name === k.ratio.family);
    if (!family || family.type !== 'counter')
      throw new Error(`KPI ${k.id}: ratio.family ${k.ratio.family} is not a counter family in contract/src/families.ts`);
    const named = [k.ratio.outcome.label, ...(k.ratio.among ? [k.ratio.among.label] : []), ...k.ratio.by];
    for (const label of named)
      if (!family.labels.includes(label))
        throw new Error(`KPI ${k.id}: ${family.name} has no label ${label} (it has ${family.labels.join(', ')})`);
    if (k.direction !== 'higher-is-better' || k.unit !== 'percentunit')
      throw new Error(`KPI ${k.id}: a generated ratio is a success share (higher-is-better, percentunit)`);
    ratioParts(k);
  }
  return kpis;
}

/** `branch_channel:mandate_registrations:rate1h`: the counts by every breakdown label and the outcome. */
export function countSeries(k: RatioKpi): string {
  const count = k.ratio.count ?? k.ratio.family.replace(/_total$/, '');
  return `${k.ratio.by.join('_')}:${count}:${ratioParts(k).op}`;
}

/**
 * A ratio `part / whole` by the given labels that is 0 (not absent) when `part` has no series,
 * e.g. a branch whose registrations all failed has no success series yet.
 */
export function ratio(part: string, whole: string, by: string): string {
  const sumBy = by ? `sum by (${by}) ` : 'sum ';
  return `(${sumBy}(${part}) or ${sumBy}(${whole}) * 0) / ${sumBy}(${whole})`;
}

/** One group per ratio KPI: its counts first, then the breakdowns and the KPI built on them. */
export function ratioRecordingGroups(): RecordingGroup[] {
  return ratioKpis().map((k) => {
    const { fn, window, name } = ratioParts(k);
    const among = k.ratio.among ? `{${k.ratio.among.label}=~"${k.ratio.among.values.join('|')}"}` : '';
    const counts = countSeries(k);
    const success = `${counts}{${k.ratio.outcome.label}="${k.ratio.outcome.success}"}`;
    return {
      name: `paywatch.kpi.${name}`,
      ...(k.ratio.interval ? { interval: k.ratio.interval } : {}),
      rules: [
        {
          record: counts,
          expr: `sum by (${[...k.ratio.by, k.ratio.outcome.label].join(', ')}) (${fn}(${k.ratio.family}${among}[${window}]))`,
        },
        ...k.ratio.by.map((label) => ({ record: breakdownSeries(k, label), expr: ratio(success, counts, label) })),
        { record: k.series, expr: ratio(success, counts, ''), ...(k.ratio.note ? { note: k.ratio.note } : {}) },
      ],
    };
  });
}

/** Events a window must hold before a level whose share of bad events is `badShare` is judged (alerts.ts: ratioVolumeFloor). */
export type VolumeFloor = (badShare: number) => number;

/** The events a ratio KPI's window holds (its counts over the window, summed). */
function eventsInWindow(k: RatioKpi): string {
  const { fn, window } = ratioParts(k);
  return fn === 'increase' ? `sum(${countSeries(k)})` : `sum(${countSeries(k)}) * ${seconds(window)}`;
}

/**
 * The alert of every ratio KPI that declares one: warning (Sev3), critical (Sev2), page (Sev1).
 * A level is judged only over enough events that crossing it takes a few bad ones (`volumeFloor`,
 * as for the payment and API ratios): an evening's handful of mandate registrations is not a rate.
 */
export function ratioAlerts(volumeFloor: VolumeFloor): AlertDefinition[] {
  return ratioKpis().flatMap((k): AlertDefinition[] => {
    const a = k.alert;
    if (!a) return [];
    const team = TEAMS.find((t) => t === a.team);
    const category = CATEGORIES.find((c) => c === a.category);
    if (!team || !category) throw new Error(`KPI ${k.id}: alert team ${a.team} / category ${a.category} unknown (kpi/src/alerts.ts)`);
    const dependsOn = (a.dependsOn ?? []).map((d) => {
      const cause = ROOT_CAUSES.find((c) => c === d);
      if (!cause) throw new Error(`KPI ${k.id}: unknown root cause ${d} (one of ${ROOT_CAUSES.join(', ')})`);
      return cause;
    });
    const levels: AlertLevel[] = [{ severity: 'warning', incidentClass: 'Sev3', threshold: k.warning }];
    if (k.critical !== undefined) levels.push({ severity: 'critical', incidentClass: 'Sev2', threshold: k.critical });
    if (k.page !== undefined) levels.push({ severity: 'critical', incidentClass: 'Sev1', threshold: k.page });
    const { window } = ratioParts(k);
    return [
      {
        name: a.name,
        category,
        team,
        expr: (t) => `${k.series} < ${t} and on () ${eventsInWindow(k)} >= ${volumeFloor(1 - t)}`,
        for: a.for,
        dataWindow: window,
        startupGuard: true,
        levels,
        summary: (t) => `${k.title} below ${pct(t)}`,
        description: (t) =>
          `Only {{ $value | humanizePercentage }} of ${k.ratio.counted} succeeded in ${windowWords(window)} (threshold ${pct(t)}, target ${pct(k.target)}, judged over at least ${volumeFloor(1 - t)} in the window).`,
        impact: a.impact,
        ...(dependsOn.length ? { dependsOn } : {}),
      },
    ];
  });
}

// ---- promtool cases ------------------------------------------------------------------------

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const seconds = (d: string) => Number(d.slice(0, -1)) * UNITS[d.slice(-1)]!;

/** Sample spacing for a window: minutes up to an hour, 15 minutes for longer ones. */
function stepFor(window: string): string {
  return seconds(window) <= 3600 ? '1m' : '15m';
}

/** A value of each breakdown label: the declared `among` values where the label is restricted. */
function labelValue(k: RatioKpi, label: string, i: number): string {
  if (label === 'branch') return `BR${String(i + 1).padStart(4, '0')}`;
  if (k.ratio.among?.label === label) return k.ratio.among.values[i % k.ratio.among.values.length]!;
  return `${label}_${String.fromCharCode(97 + i)}`;
}

function counter(k: RatioKpi, i: number, outcome: string, perStep: number, steps: number): Series {
  const labels: Record<string, string> = {};
  for (const label of k.ratio.by) labels[label] = labelValue(k, label, i);
  if (k.ratio.among && !(k.ratio.among.label in labels)) labels[k.ratio.among.label] = k.ratio.among.values[0]!;
  labels[k.ratio.outcome.label] = outcome;
  const text = Object.entries(labels)
    .map(([n, v]) => `${n}="${v}"`)
    .join(', ');
  return { series: `${k.ratio.family}{${text}}`, values: `0+${perStep}x${steps}` };
}

/** Steps of `step` covering the window, the alert's `for` and a margin. */
function horizon(k: RatioKpi): { steps: number; evalTime: string } {
  const { window } = ratioParts(k);
  const step = seconds(stepFor(window));
  const forSeconds = k.alert ? seconds(k.alert.for) : 0;
  const evalSteps = Math.ceil((seconds(window) + forSeconds) / step) + 5;
  return { steps: evalSteps + 5, evalTime: `${(evalSteps * step) / 60}m` };
}

/** Out of `perStep` (default 100) per step, `share` of them succeeding (a multiple of 1 %). */
function fleetAt(k: RatioKpi, share: number, perStep = 100): Series[] {
  const { steps } = horizon(k);
  const good = (Math.round(share * 100) * perStep) / 100;
  const outcome = k.ratio.outcome;
  return [counter(k, 0, outcome.success, good, steps), counter(k, 0, outcome.failure, perStep - good, steps)];
}

/** Sample steps in the KPI's window. */
function stepsInWindow(k: RatioKpi): number {
  const { window } = ratioParts(k);
  return seconds(window) / seconds(stepFor(window));
}

/** Rounded down to a whole percent: the rendered value stays exact in the description. */
const floorPct = (x: number) => Math.floor(x * 100 + 1e-9) / 100;

function alertCases(k: RatioKpi, volumeFloor: VolumeFloor): AlertCase[] {
  const alert = ratioAlerts(volumeFloor).find((a) => a.name === k.alert?.name);
  if (!alert) return [];
  const { evalTime } = horizon(k);
  const thresholds = alert.levels.map((l) => l.threshold!);
  const expectAt = (value: number) =>
    alert.levels
      .filter((l) => value < l.threshold!)
      .map((l) => ({
        incidentClass: l.incidentClass,
        description: alert.description(l.threshold!, l).replace('{{ $value | humanizePercentage }}', pct(value)),
      }));
  const cases: AlertCase[] = [];
  const lowest = Math.min(...thresholds);
  const all = floorPct(lowest - 0.05);
  cases.push({
    alert: alert.name,
    name: `${pct(all)} succeed: every level fires`,
    input: fleetAt(k, all),
    evalTime,
    expect: expectAt(all),
  });
  if (k.critical !== undefined) {
    const between = floorPct((k.warning + k.critical) / 2);
    cases.push({
      alert: alert.name,
      name: `${pct(between)} succeed: warning only`,
      input: fleetAt(k, between),
      evalTime,
      expect: expectAt(between),
    });
  }
  const inside = floorPct(k.warning + Math.max(0.01, (k.target - k.warning) / 2));
  cases.push({ alert: alert.name, name: `${pct(inside)} succeed: just inside`, input: fleetAt(k, inside), evalTime, expect: [] });
  // Under every level's volume floor (one event fewer than the smallest): the same failing share notifies nobody.
  const floor = Math.min(...thresholds.map((t) => volumeFloor(1 - t)));
  const quiet = fleetAt(k, all, (floor - 1) / stepsInWindow(k));
  cases.push({
    alert: alert.name,
    name: `${pct(all)} succeed over ${floor - 1} events in the window: under the volume floor, nothing`,
    input: quiet,
    evalTime,
    expect: [],
  });
  return cases;
}

/** Two branches, each with its own value of every breakdown label: 9 of 10 and 3 of 6 succeed. */
function recordingCase(k: RatioKpi): RecordingCase {
  const { steps, evalTime } = horizon(k);
  const { success, failure } = k.ratio.outcome;
  const input = [
    counter(k, 0, success, 9, steps),
    counter(k, 0, failure, 1, steps),
    counter(k, 1, success, 3, steps),
    counter(k, 1, failure, 3, steps),
  ];
  const sorted = (samples: Array<{ labels: string; value: number }>) => samples.sort((a, b) => a.labels.localeCompare(b.labels));
  return {
    name: `${k.title}: the KPI and its breakdowns by ${k.ratio.by.join(', ')} (generated from the KPI's declaration)`,
    input,
    evalTime,
    checks: [
      { expr: `round(${k.series} * 10000)`, samples: [{ labels: '{}', value: 7500 }] },
      ...k.ratio.by.map((label) => ({
        expr: `round(${breakdownSeries(k, label)} * 10000)`,
        samples: sorted([
          { labels: `{${label}="${labelValue(k, label, 0)}"}`, value: 9000 },
          { labels: `{${label}="${labelValue(k, label, 1)}"}`, value: 5000 },
        ]),
      })),
    ],
  };
}

/** One promtool file per sample spacing the ratio KPIs need. */
export function ratioTestFiles(volumeFloor: VolumeFloor): TestFile[] {
  const byStep = new Map<string, RatioKpi[]>();
  for (const k of ratioKpis()) {
    const step = stepFor(ratioParts(k).window);
    byStep.set(step, [...(byStep.get(step) ?? []), k]);
  }
  return [...byStep].map(([step, kpis]) => ({
    file: `kpi-ratios-${step}.test.yml`,
    interval: step,
    // Steps longer than Prometheus's 5-minute lookback: the alert must read this step's ratio.
    ...(seconds(step) > 300 ? { recordingFirst: true } : {}),
    alertCases: kpis.flatMap((k) => alertCases(k, volumeFloor)),
    recordingCases: kpis.map(recordingCase),
  }));
}
