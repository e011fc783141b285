// A week without incidents is quiet: a simulated week of history (the backfill: the simulator's
// model, with its own natural incidents — LMS downtime, gateway degradations, reader outages — and
// the planned maintenance window) through the real rules, on a real Prometheus over that history.
//
//   npx tsx stack/bench/quiet-week.ts [--branches 20] [--end 2026-11-12T00:00:00+05:30] [--days 7] [--step 60] [--rule-step 60] [--inject]
//
// --inject adds the simulator's scenarios to the history (30 minutes each, on days 2-6 at 11:00 or
// 12:00 IST): an LMS outage, gateway_b down, every RFID reader down, a slow database, a burst of
// failed logins (12 a minute); and reports, for each, which alert reached which rung how long after
// it began, against the ladder's delay for that rung (the alert's `for` plus the rung's wait).
//
// How: `npm run backfill`'s code writes the raw history and the recording rules' history
// (promtool tsdb create-blocks-from rules) into a temporary Prometheus directory; a Prometheus
// 3.13 serves it; every alerting rule of prometheus/rules/alerts.yml is evaluated over the week
// with query_range every --step seconds (default 60), and every 15 s (the live evaluation interval)
// from 15 minutes before each injected scenario to 75 minutes after it; `for` and `keep_firing_for`
// are applied on that grid; then the
// generated Alertmanager inhibition rules and the maintenance mute, and the escalation ladder
// (LADDER) tell which receivers would have been notified. Each notification is attributed to the
// natural incident it overlaps (or the maintenance window), or counted as a false alarm.
// Away from the scenarios the grid is coarser than the live 15 s (`for: 30s` becomes one step), and
// the history is coarser than the live scrapes: raw series every 150 s, recording rules every 300 s
// at their group's offset (rules.ts; here the fleet-wide ones every --rule-step, 60 s). So an alert
// over a per-branch recorded 5-minute rate would see an outage up to 150 + 300 s + a step later
// than live. Over the injected RFID outage (10 minutes before it to 15 after) the verification
// counters are kept every 15 s and the rules the RFID verification alert reads are evaluated every
// 15 s (backfill `fineRules`), and the login counter over the login burst likewise: there the
// history's detection is what live scrapes and evaluations give. The injected table shows when each
// alert's condition first held (the history's detection) apart from how long the ladder then took
// (the rules' `for` and Alertmanager's waits: what Paywatch decides).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { inMaintenanceWindow } from '@paywatch/contract';
import { arg, hasFlag, repoRoot, startPrometheus } from '@paywatch/runtime';
import {
  branchProfiles,
  episodesBetween,
  gatewayDegradations,
  GATEWAYS,
  lmsDowntime,
  readerOutages,
  type Episode,
} from '@paywatch/simulator/model';
import { durationSeconds, GROUP_INTERVAL, inhibitRules, LADDER, TEAM_GROUP_WAIT, TEAM_RECEIVERS } from '@paywatch/kpi';
import { FLEET_DEFAULTS, runBackfill } from '../src/backfill/run.ts';

const branches = Number(arg('branches', '20'));
const days = Number(arg('days', '7'));
// Default: the week around the second Sunday of November 2026 (maintenance on the 8th, 02:00-05:00 IST).
const endMs = Date.parse(arg('end', '2026-11-12T00:00:00+05:30'));
const STEP = Number(arg('step', '60'));
if (!(STEP >= 15) || (days * 86400) / STEP > 11_000)
  throw new Error(`--step ${STEP}: at least 15 s, and at most 11 000 steps over the days (Prometheus's range-query limit)`);
const inject = hasFlag('inject');
const RULE_STEP_FLEET = Number(arg('rule-step', '60'));
const startOfWeek = endMs - days * 86400_000;
/** Day d of the week at hh:00 IST, for 30 minutes. */
const at = (d: number, hh: number): Episode => {
  const dayStart = Math.floor((startOfWeek + 330 * 60_000) / 86400_000) * 86400_000 - 330 * 60_000;
  const start = dayStart + d * 86400_000 + hh * 3600_000;
  return { start, end: start + 30 * 60_000 };
};
const INJECTED = inject
  ? [
      { what: 'injected lms_outage', expect: 'LmsDown', episode: at(2, 11) },
      { what: 'injected gateway_outage (gateway_b)', expect: 'PaymentGatewayDown', episode: at(3, 12) },
      // The history has no reader heartbeats (rfid_reader_up is live only): the verification rate shows it.
      { what: 'injected rfid_outage', expect: 'RfidVerificationRateLow', episode: at(4, 11) },
      // The live simulator's slow_database fails the API's health check (its query over its 1 s budget).
      { what: 'injected slow_database', expect: 'SystemDown', episode: at(5, 11) },
      { what: 'injected failed_logins (12 a minute)', expect: 'FailedLoginsHigh', episode: at(6, 11) },
    ]
  : [];
/** Failed logins a minute in the injected burst: above the requirements' 5, like a slow password guesser. */
const BURST_PER_MINUTE = 12;
/** Hour-long windows need an hour of history before they mean anything. */
const WARM_UP = 2 * 3600;

type Labels = Record<string, string>;
interface Rule {
  alert: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
  labels: Labels;
}
interface Episodic {
  labels: Labels;
  /** Step times (s) at which the alert was firing. */
  firing: number[];
  /** Step times (s) at which its condition held (pending or firing). */
  active: number[];
}

const rules = (
  parse(readFileSync(join(repoRoot, 'prometheus/rules/alerts.yml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> }
).groups.flatMap((g) => g.rules);

const dir = mkdtempSync(join(tmpdir(), 'paywatch-quiet-week-'));
const prometheusDir = join(dir, 'prometheus');
const started = Date.now();
const backfill = await runBackfill({
  prometheusDir,
  days,
  branches,
  now: endMs,
  // Every series dense (every 150 s) over the whole week: the alerts see what the live 15 s would, to the step.
  injected: {
    lmsDown: INJECTED.filter((i) => i.what.includes('lms')).map((i) => i.episode),
    gatewayDown: INJECTED.filter((i) => i.what.includes('gateway')).map((i) => ({ gateway: 'gateway_b' as const, episode: i.episode })),
    rfidDown: INJECTED.filter((i) => i.what.includes('rfid')).map((i) => i.episode),
    slowDatabase: INJECTED.filter((i) => i.what.includes('slow_database')).map((i) => i.episode),
    failedLogins: INJECTED.filter((i) => i.what.includes('failed_logins')).map((i) => ({
      episode: i.episode,
      perMinute: BURST_PER_MINUTE,
    })),
  },
  sampleBudget: Math.max(4_000_000, branches * 60 * Math.ceil((days * 86400) / 150)),
  // Fleet-wide rules (availability, the KPIs' fleet ratios, the SLOs) every --rule-step s: live they
  // are evaluated every 15 s to 1 min; at the backfill's 300 s an alert over them would lag by 5 minutes.
  fleetRuleStepSeconds: RULE_STEP_FLEET,
  // Over an injected RFID outage (and the minutes around it) the verification counters are kept
  // every 15 s, as scraped live, and the rules the RFID verification alert reads (the per-branch
  // 5-minute rates, the fleet ratio) are evaluated every 15 s, as live: its detection is then the
  // live one, not the history's 150 s / 300 s steps.
  fineRules: { rfid: rules.filter((r) => r.alert === 'RfidVerificationRateLow').map((r) => r.expr) },
  log: (line) => console.error(line),
});
console.error(`history: ${backfill.samples} raw + ${backfill.ruleSamples} rule samples in ${Math.round((Date.now() - started) / 1000)} s`);

const prometheus = await startPrometheus({ dir: prometheusDir, config: 'global: {}\n', retention: '3650d', readyTimeoutMs: 300_000 });
const from = backfill.startSeconds + WARM_UP;
const to = backfill.endSeconds;
/**
 * Around each injected scenario the alerts are evaluated every FINE_ALERT_STEP, as live (15 s),
 * from this long before it to this long after it (its rungs and the hour-long windows' aftermath).
 */
const FINE_ALERT_STEP = 15;
const FINE_BEFORE = 15 * 60;
const FINE_AFTER = 75 * 60;
const fineWindows = INJECTED.map((i) => ({
  // On the coarse grid's phase, so the fine steps include the coarse ones.
  start: from + Math.floor((i.episode.start / 1000 - FINE_BEFORE - from) / STEP) * STEP,
  end: from + Math.ceil((i.episode.end / 1000 + FINE_AFTER - from) / STEP) * STEP,
}));
/** The step the alerts are evaluated at, at t. */
const stepAt = (t: number) => (fineWindows.some((w) => t >= w.start && t <= w.end) ? FINE_ALERT_STEP : STEP);
const stepSet = new Set<number>();
for (let t = from; t <= to; t += STEP) stepSet.add(t);
for (const w of fineWindows) for (let t = w.start; t <= Math.min(w.end, to); t += FINE_ALERT_STEP) stepSet.add(t);
const steps = [...stepSet].sort((a, b) => a - b);

async function rangeOver(expr: string, start: number, end: number, step: number) {
  const body = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: String(step) });
  const json = (await (await fetch(`${prometheus.url}/api/v1/query_range`, { method: 'POST', body })).json()) as {
    status: string;
    error?: string;
    data: { result: Array<{ metric: Labels; values: Array<[number, string]> }> };
  };
  if (json.status !== 'success') throw new Error(`${expr}: ${json.error}`);
  return json.data.result;
}

/** An expression over the week on the grid, and every FINE_ALERT_STEP over the fine windows: each series with its times. */
async function range(expr: string): Promise<Array<{ metric: Labels; times: number[] }>> {
  const bySeries = new Map<string, { metric: Labels; times: Set<number> }>();
  const results = [
    await rangeOver(expr, from, to, STEP),
    ...(await Promise.all(fineWindows.map((w) => rangeOver(expr, w.start, Math.min(w.end, to), FINE_ALERT_STEP)))),
  ];
  for (const result of results)
    for (const series of result) {
      const key = JSON.stringify(Object.entries(series.metric).sort());
      const entry = bySeries.get(key) ?? { metric: series.metric, times: new Set<number>() };
      bySeries.set(key, entry);
      for (const [t] of series.values) entry.times.add(Math.round(t));
    }
  return [...bySeries.values()].map((x) => ({ metric: x.metric, times: [...x.times] }));
}

// Every rule over the week, `for` applied on the grid.
const alerts: Episodic[] = [];
for (const rule of rules) {
  const hold = durationSeconds(rule.for ?? '0s');
  const keep = durationSeconds(rule.keep_firing_for ?? '0s');
  for (const series of await range(rule.expr)) {
    const active = new Set(series.times);
    const firing: number[] = [];
    let pendingSince: number | undefined;
    let firingNow = false;
    let clearedAt: number | undefined;
    for (const t of steps) {
      if (!active.has(t)) {
        pendingSince = undefined;
        // keep_firing_for: a firing alert stays firing while less than that has passed since its condition cleared.
        if (firingNow) clearedAt ??= t;
        if (firingNow && t - clearedAt! < keep) firing.push(t);
        else firingNow = false;
        continue;
      }
      clearedAt = undefined;
      pendingSince ??= t;
      if (firingNow || t - pendingSince >= hold) {
        firingNow = true;
        firing.push(t);
      }
    }
    if (firing.length)
      alerts.push({
        labels: { ...series.metric, ...rule.labels, alertname: rule.alert },
        firing,
        active: [...active].sort((a, b) => a - b),
      });
  }
}
await prometheus.stop();

const matcher = (text: string) => {
  const m = /^(\w+)(=~|=)"(.*)"$/.exec(text);
  if (!m) throw new Error(`matcher ${text}`);
  const [, name, op, value] = m;
  return (labels: Labels) => (op === '=' ? (labels[name!] ?? '') === value : new RegExp(`^(?:${value})$`).test(labels[name!] ?? ''));
};
const inhibitions = inhibitRules().map((r) => ({
  source: (r.source_matchers as string[]).map(matcher),
  target: (r.target_matchers as string[]).map(matcher),
  equal: (r.equal as string[] | undefined) ?? [],
}));
const firingAt = new Map<number, Episodic[]>();
for (const a of alerts) for (const t of a.firing) firingAt.set(t, [...(firingAt.get(t) ?? []), a]);

function suppressed(a: Episodic, t: number): string | undefined {
  const tier = LADDER.find((x) => x.incidentClass === a.labels.incident_class);
  if (tier?.mutedInMaintenance && inMaintenanceWindow(t * 1000)) return 'muted (maintenance)';
  for (const rule of inhibitions) {
    if (!rule.target.every((m) => m(a.labels))) continue;
    const source = (firingAt.get(t) ?? []).find(
      (s) => s !== a && rule.source.every((m) => m(s.labels)) && rule.equal.every((l) => (s.labels[l] ?? '') === (a.labels[l] ?? '')),
    );
    if (source) return `inhibited by ${source.labels.alertname}`;
  }
  return undefined;
}

// Natural incidents of the simulated week, from the same model and seed.
const seed = FLEET_DEFAULTS.seed;
const fleet = branchProfiles({ seed, branches, officersPerBranch: FLEET_DEFAULTS.officersPerBranch });
const incidents: Array<{ what: string; episode: Episode }> = [
  ...INJECTED.map((i) => ({ what: i.what.replace('injected rfid_outage', 'injected rfid_outage (reader)'), episode: i.episode })),
  ...episodesBetween(from * 1000, to * 1000, (day) => lmsDowntime(seed, day)).map((episode) => ({ what: 'LMS downtime', episode })),
  ...GATEWAYS.flatMap((g) =>
    episodesBetween(from * 1000, to * 1000, (day) => gatewayDegradations(seed, g, day)).map((episode) => ({
      what: `${g} degradation`,
      episode,
    })),
  ),
  ...fleet.flatMap((b) =>
    b.readers.flatMap((r) =>
      episodesBetween(from * 1000, to * 1000, (day) => readerOutages(seed, r, day)).map((episode) => ({
        what: `reader ${r} outage`,
        episode,
      })),
    ),
  ),
];
for (let t = from; t <= to; t += STEP)
  if (inMaintenanceWindow(t * 1000) && !inMaintenanceWindow((t - STEP) * 1000))
    incidents.push({ what: 'planned maintenance', episode: { start: t * 1000, end: (t + 3 * 3600) * 1000 } });
/** Which incidents can explain an alert of each category (the rest explain anything: availability). */
const CAN_EXPLAIN: Record<string, RegExp> = {
  rfid: /reader|rfid/,
  lms: /LMS|lms/,
  payments: /gateway|maintenance|database/,
  api: /maintenance|database/,
  database: /database/,
  security: /login/,
};
/** An alert is explained by an incident of its kind it overlaps, or that ended less than an hour before it (hour-long windows). */
const explainedBy = (labels: Labels, start: number, end: number) =>
  incidents
    .filter((i) => (CAN_EXPLAIN[labels.category ?? ''] ?? /./).test(i.what))
    .filter((i) => i.episode.start <= end * 1000 && i.episode.end + 3600_000 >= start * 1000)
    .map((i) => i.what);
const ist = (seconds: number) => new Date(seconds * 1000 + 330 * 60_000).toISOString().slice(0, 16).replace('T', ' ');
const falseAlarms: string[] = [];
/** The receivers an alert reaches and when: its team's own receiver at once (TEAM_RECEIVERS), then its incident class's ladder. */
function rungsOf(labels: Labels): Array<{ receiver: string; after: string }> {
  const team = TEAM_RECEIVERS[labels.team as keyof typeof TEAM_RECEIVERS];
  const tier = LADDER.find((x) => x.incidentClass === labels.incident_class);
  return [...(team && tier ? [{ receiver: team, after: TEAM_GROUP_WAIT }] : []), ...(tier?.rungs ?? [])];
}
/** Every notification: which alert, which receiver, when (s), and when its episode began (s). */
const sent: Array<{ labels: Labels; receiver: string; at: number; episode: number }> = [];

interface Row {
  alert: string;
  cls: string;
  episodes: number;
  notified: Map<string, number>;
  explained: number;
  unexplained: number;
  by: Set<string>;
}
const rows = new Map<string, Row>();
for (const a of alerts) {
  // Episodes: firing steps, as Alertmanager groups them: it keeps a resolved alert in its group
  // until the group's next flush, so an alert firing again within the group interval (a count
  // over one minute dipping for one 15 s evaluation) is the same episode, its rungs' waits not restarted.
  const bridge = durationSeconds(LADDER.find((x) => x.incidentClass === a.labels.incident_class)?.groupInterval ?? GROUP_INTERVAL);
  const runs: Array<[number, number]> = [];
  for (const t of a.firing) {
    const last = runs[runs.length - 1];
    if (last && t - last[1] <= bridge) last[1] = t;
    else runs.push([t, t]);
  }
  const id = `${a.labels.alertname} ${a.labels.incident_class}`;
  const row = rows.get(id) ?? {
    alert: a.labels.alertname!,
    cls: a.labels.incident_class ?? '—',
    episodes: 0,
    notified: new Map(),
    explained: 0,
    unexplained: 0,
    by: new Set(),
  };
  rows.set(id, row);
  for (const [start, end] of runs) {
    row.episodes++;
    let any = false;
    for (const rung of rungsOf(a.labels)) {
      // Alertmanager flushes a rung's group `after` the alert started firing: the first step at or past it.
      const due = start + durationSeconds(rung.after);
      const reached = a.firing.find((t) => t >= due && t <= end && !suppressed(a, t));
      if (reached !== undefined) {
        sent.push({ labels: a.labels, receiver: rung.receiver, at: reached, episode: start });
        row.notified.set(rung.receiver, (row.notified.get(rung.receiver) ?? 0) + 1);
        any = true;
      }
    }
    if (!any) continue;
    const why = explainedBy(a.labels, start, end + stepAt(end));
    if (why.length) {
      row.explained++;
      for (const w of why) row.by.add(w.replace(/reader \S+ outage/, 'reader outage'));
    } else {
      row.unexplained++;
      const where = a.labels.branch ? ` ${a.labels.branch}` : '';
      falseAlarms.push(`- ${a.labels.alertname} ${a.labels.incident_class}${where}: ${ist(start)} to ${ist(end + stepAt(end))} IST`);
    }
  }
}

const lines = [
  `A simulated week: ${branches} branches, ${new Date(from * 1000).toISOString()} to ${new Date(to * 1000).toISOString()} (seed ${seed}; natural incidents: ${incidents.length}).`,
  '',
  '| alert | class | firing episodes | notified episodes: during an incident / outside any | receivers notified (episodes) | incidents it followed |',
  '|---|---|---|---|---|---|',
  ...[...rows.values()]
    .sort((a, b) => a.alert.localeCompare(b.alert) || a.cls.localeCompare(b.cls))
    .map(
      (r) =>
        `| ${r.alert} | ${r.cls} | ${r.episodes} | ${r.explained} / ${r.unexplained} | ${[...r.notified].map(([k, v]) => `${k} ${v}`).join(', ') || 'none'} | ${[...r.by].join(', ') || '—'} |`,
    ),
  '',
  `Notified episodes outside any incident: ${[...rows.values()].reduce((n, r) => n + r.unexplained, 0)}.`,
  ...falseAlarms,
  '',
  'Each natural incident of the week: what it notified (alert, class, receiver), first after how long.',
  '',
  '| incident | started (IST) | lasted | notifications (first after) |',
  '|---|---|---|---|',
  ...incidents
    .sort((a, b) => a.episode.start - b.episode.start)
    .map((i) => {
      const mine = sent
        .filter((n) => (CAN_EXPLAIN[n.labels.category ?? ''] ?? /./).test(i.what))
        .filter((n) => n.at * 1000 >= i.episode.start && n.at * 1000 <= i.episode.end + 3600_000)
        .sort((a, b) => a.at - b.at);
      const first = mine[0] ? ` (first after ${Math.round((mine[0].at * 1000 - i.episode.start) / 60_000)} min)` : '';
      const what = [...new Set(mine.map((n) => `${n.labels.alertname} ${n.labels.incident_class} → ${n.receiver}`))].join(', ');
      return `| ${i.what} | ${ist(i.episode.start / 1000)} | ${Math.round((i.episode.end - i.episode.start) / 60_000)} min | ${what || 'nothing'}${first} |`;
    }),
];
if (INJECTED.length) {
  lines.push(
    '',
    `Injected scenarios: the alert that should answer, each rung it reached and when after the scenario began (to the ${FINE_ALERT_STEP} s step: the alerts are evaluated every ${FINE_ALERT_STEP} s from ${FINE_BEFORE / 60} min before each scenario to ${FINE_AFTER / 60} min after it, every ${STEP} s elsewhere). "Held after": when its condition first held over the history (the history's detection, see the header). "Ladder": the alert's \`for\` plus the rung's wait, what Paywatch's rules and Alertmanager add; met when the rung came no later than that, rounded up to the grid (\`for\` and the wait each to a whole step), after the condition held.`,
    '',
    '| scenario | started (IST) | alert | rung | condition held after | reached after | reached - held | ladder (for + wait) | ladder met |',
    '|---|---|---|---|---|---|---|---|---|',
  );
  const minutes = (seconds: number) => `${Math.round((seconds / 60) * 100) / 100} min`;
  for (const i of INJECTED) {
    // The scenario's own: notifications of the alert's episodes that began while it lasted (not a
    // later natural incident's within its hour).
    const mine = sent.filter(
      (n) => n.labels.alertname === i.expect && n.episode * 1000 >= i.episode.start && n.episode * 1000 <= i.episode.end,
    );
    const byRung = new Map<string, (typeof mine)[number]>();
    for (const n of mine.sort((a, b) => a.at - b.at))
      if (!byRung.has(`${n.labels.incident_class} ${n.receiver}`)) byRung.set(`${n.labels.incident_class} ${n.receiver}`, n);
    if (!byRung.size) lines.push(`| ${i.what} | ${ist(i.episode.start / 1000)} | ${i.expect} | none | — | — | — | — | not met |`);
    for (const [rungKey, n] of byRung) {
      const [cls, receiver] = rungKey.split(' ') as [string, string];
      const rule = rules.find((r) => r.alert === i.expect && r.labels.incident_class === cls)!;
      const rung = rungsOf(n.labels).find((r) => r.receiver === receiver)!;
      const ladder = durationSeconds(rule.for ?? '0s') + durationSeconds(rung.after);
      // The same on the grid: firing at the first step `for` after the condition held, notified at the first step past the wait.
      const onGrid = (seconds: number) => Math.ceil(seconds / FINE_ALERT_STEP) * FINE_ALERT_STEP;
      const ladderOnGrid = onGrid(durationSeconds(rule.for ?? '0s')) + onGrid(durationSeconds(rung.after));
      const held = Math.min(
        ...alerts
          .filter((a) => a.labels.alertname === i.expect && a.labels.incident_class === cls)
          .flatMap((a) => a.active.filter((t) => t * 1000 >= i.episode.start && t <= n.at)),
      );
      const since = (t: number) => t - i.episode.start / 1000;
      lines.push(
        `| ${i.what} | ${ist(i.episode.start / 1000)} | ${i.expect} ${cls} | ${receiver} | ${minutes(since(held))} | ${minutes(since(n.at))} | ${minutes(n.at - held)} | ${minutes(ladder)} (${minutes(ladderOnGrid)} on the grid) | ${n.at - held <= ladderOnGrid ? 'met' : '**not met**'} |`,
      );
    }
  }
}
console.log(lines.join('\n'));
rmSync(dir, { recursive: true, force: true });
