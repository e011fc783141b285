// An RFID outage on the real running stack: `npm start` on a fresh data directory (free ports from
// runtime's freePort, a small fleet, the live simulation in weekday working hours), then every
// RFID reader down through the simulator's own scenario (POST /scenarios/rfid_outage on the
// payments API, as a person would switch it on), and when each rung of the ladder is reached:
// when Prometheus's RFID alerts went pending and firing (its /api/v1/alerts: `activeAt`, and the
// first poll that saw each firing), whether Alertmanager inhibited them, and when each receiver
// got its first notification (the local alert sink, which Alertmanager's email, Slack and
// PagerDuty receivers post to when no real one is configured). Stops everything it started.
//
//   npx tsx stack/bench/rfid-live.ts [--branches 10] [--backfill-days 1] [--outage-minutes 30] [--timeout-minutes 32]
//
// It waits before the outage until the start-up guards are past (the RFID verification alert
// ignores Prometheus's first 5 minutes; the RFID system alert needs a reader seen), so the
// outage is what it measures, not a start. Then it watches until email, Slack and PagerDuty have
// each received an RFID alert, or --timeout-minutes after the outage began.
//
// Live, the simulator's rfid_outage stops every reader's heartbeats and turns every verification
// into an error: `RfidSystemOffline` (Sev2, every reader silent past the exporter's heartbeat
// timeout, `for: 5m`) and `RfidVerificationRateLow` (Sev2, `for: 10m`) both go pending; the
// first inhibits the second (the root cause pages, once). The history (stack/bench/quiet-week.ts)
// has no heartbeats: there only `RfidVerificationRateLow` can answer.
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { arg, promQuery, repoRoot } from '@paywatch/runtime';
import { durationSeconds, LADDER } from '@paywatch/kpi';
import { startStack } from '../test/support/running-stack.ts';

const outageMinutes = Number(arg('outage-minutes', '30'));
const timeoutMinutes = Number(arg('timeout-minutes', '32'));
/** The receivers the ladder names for a Sev2: email at once, Slack after 5 min, PagerDuty after 15. */
const WATCHED = ['email-oncall', 'slack', 'pagerduty'];
/** Prometheus's start-up guard on the verification alert (alerts.yml), and a minute more. */
const SETTLE_SECONDS = 360;
const POLL_MS = 5_000;

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;

interface Rule {
  alert: string;
  for?: string;
  labels: Record<string, string>;
}
const rfidRules = (
  parse(readFileSync(join(repoRoot, 'prometheus/rules/alerts.yml'), 'utf8')) as { groups: Array<{ rules: Rule[] }> }
).groups
  .flatMap((g) => g.rules)
  .filter((r) => r.alert && r.labels?.category === 'rfid');

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

console.log(`uptime before: load ${load()}`);
const stack = await startStack({
  env: { PAYWATCH_BRANCHES: arg('branches', '10'), PAYWATCH_BACKFILL_DAYS: arg('backfill-days', '1') },
});
const prometheus = stack.url('prometheus');
const alertmanager = stack.url('alertmanager');
const sink = stack.url('alertSink');
const api = stack.url('api');
const rows: string[] = [];
try {
  console.log(`stack running after ${Math.round((Date.now() - stack.launchedAt) / 1000)} s (load ${load()}); Prometheus ${prometheus}`);
  // Past the start-up guards, readers reporting, and no fleet RFID alert left from the start.
  for (;;) {
    const upFor = Number((await promQuery(prometheus, 'time() - max(process_start_time_seconds{job="prometheus"})'))[0]?.value[1] ?? 0);
    const readersUp = Number((await promQuery(prometheus, 'sum(rfid_reader_up)'))[0]?.value[1] ?? 0);
    const readers = Number((await promQuery(prometheus, 'sum(rfid_readers)'))[0]?.value[1] ?? 0);
    // A reader of the model's own natural outages may be down (RfidReaderOffline): not the fleet.
    const rfidAlerts = await promQuery(prometheus, 'ALERTS{category="rfid", alertname!="RfidReaderOffline"}');
    if (upFor >= SETTLE_SECONDS && readersUp > 0 && rfidAlerts.length === 0) {
      console.log(`settled: Prometheus up ${Math.round(upFor)} s, ${readersUp}/${readers} readers up, no fleet RFID alert`);
      break;
    }
    if (Date.now() - stack.launchedAt > 20 * 60_000)
      throw new Error(
        `the stack did not settle in 20 min: Prometheus up ${upFor} s, ${readersUp}/${readers} readers up, RFID alerts ${JSON.stringify(rfidAlerts.map((a) => a.metric))}`,
      );
    await sleep(POLL_MS);
  }
  const sentBefore = (await json<unknown[]>(`${sink}/api/notifications`)).length;

  // The outage, through the simulator's scenario mechanism.
  const began = Date.now();
  const scenario = await json<{ start: string; end: string }>(`${api}/scenarios/rfid_outage?minutes=${outageMinutes}`, { method: 'POST' });
  console.log(`rfid_outage started at ${new Date(began).toISOString()} (simulated ${scenario.start} .. ${scenario.end}), load ${load()}`);

  /** Per alert (name and class): when its condition first held (activeAt), when first seen firing, whether Alertmanager inhibited it. */
  const alerts = new Map<string, { activeAt?: number; firingSeen?: number; inhibitedBy: Set<string> }>();
  /** Per receiver and alert: the first notification received. */
  const notified = new Map<string, number>();
  const keyOf = (labels: Record<string, string>) => `${labels.alertname} ${labels.incident_class ?? ''}`.trim();
  while (Date.now() - began < timeoutMinutes * 60_000) {
    const rules = await json<{
      data: { alerts: Array<{ labels: Record<string, string>; state: string; activeAt: string }> };
    }>(`${prometheus}/api/v1/alerts`);
    for (const a of rules.data.alerts.filter((x) => x.labels.category === 'rfid')) {
      const activeAt = Date.parse(a.activeAt);
      if (activeAt < began - 60_000) continue; // left from before the outage
      const key = keyOf(a.labels);
      const entry = alerts.get(key) ?? { inhibitedBy: new Set<string>() };
      alerts.set(key, entry);
      entry.activeAt = Math.min(entry.activeAt ?? Infinity, activeAt);
      if (a.state === 'firing') entry.firingSeen ??= Date.now();
    }
    const managed = await json<Array<{ labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } }>>(
      `${alertmanager}/api/v2/alerts?${new URLSearchParams({ filter: 'category="rfid"' })}`,
    );
    for (const a of managed) {
      const entry = alerts.get(keyOf(a.labels));
      for (const fingerprint of a.status.inhibitedBy) entry?.inhibitedBy.add(fingerprint);
    }
    const sent = (
      await json<Array<{ receivedAt: string; receiver: string; status: string; alerts: Array<{ labels: Record<string, string> }> }>>(
        `${sink}/api/notifications`,
      )
    ).slice(sentBefore);
    for (const n of sent)
      for (const a of n.alerts)
        if (a.labels.category === 'rfid' && n.status === 'firing') {
          const key = `${n.receiver}\t${keyOf(a.labels)}`;
          if (!notified.has(key)) {
            notified.set(key, Date.parse(n.receivedAt));
            console.log(`  +${minutes(Date.parse(n.receivedAt) - began)}: ${n.receiver} ← ${keyOf(a.labels)} (load ${load()})`);
          }
        }
    const reached = new Set([...notified.keys()].map((k) => k.split('\t')[0]));
    if (WATCHED.every((r) => reached.has(r))) break;
    await sleep(POLL_MS);
  }
  await fetch(`${api}/scenarios/rfid_outage`, { method: 'DELETE' }).catch(() => undefined);

  rows.push(
    '',
    `Live RFID outage (every reader down, the simulator's rfid_outage, ${outageMinutes} min) on npm start with ${arg('branches', '10')} branches; started ${new Date(began).toISOString()}; times after it began.`,
    '',
    '| alert | condition held after (activeAt) | firing seen after | for | inhibited |',
    '|---|---|---|---|---|',
  );
  for (const [key, entry] of [...alerts].sort()) {
    const [name, cls] = key.split(' ');
    const rule = rfidRules.find((r) => r.alert === name && r.labels.incident_class === cls);
    rows.push(
      `| ${key} | ${entry.activeAt !== undefined ? minutes(entry.activeAt - began) : '—'} | ${entry.firingSeen ? minutes(entry.firingSeen - began) : 'not firing'} | ${rule?.for ?? '?'} | ${entry.inhibitedBy.size ? 'yes' : 'no'} |`,
    );
  }
  rows.push('', '| receiver | alert | reached after | ladder: for + wait | reached − (activeAt + for + wait) |', '|---|---|---|---|---|');
  for (const [key, at] of [...notified].sort((a, b) => a[1] - b[1])) {
    const [receiver, alert] = key.split('\t') as [string, string];
    const [name, cls] = alert.split(' ');
    const rule = rfidRules.find((r) => r.alert === name && r.labels.incident_class === cls);
    const rung = LADDER.find((t) => t.incidentClass === cls)?.rungs.find((r) => r.receiver === receiver);
    const ladder = rule && rung ? (durationSeconds(rule.for ?? '0s') + durationSeconds(rung.after)) * 1000 : undefined;
    const activeAt = alerts.get(alert)?.activeAt;
    rows.push(
      `| ${receiver} | ${alert} | ${minutes(at - began)} | ${ladder !== undefined ? minutes(ladder) : '?'} | ${ladder !== undefined && activeAt !== undefined ? minutes(at - activeAt - ladder) : '?'} |`,
    );
  }
  const reached = new Set([...notified.keys()].map((k) => k.split('\t')[0]));
  const missing = WATCHED.filter((r) => !reached.has(r));
  rows.push(
    '',
    missing.length ? `Not reached within ${timeoutMinutes} min: ${missing.join(', ')}.` : 'Email, Slack and PagerDuty all reached.',
  );
  if (missing.length) process.exitCode = 1;
} finally {
  await stack.dispose();
}
console.log(rows.join('\n'));
console.log(`uptime after: load ${load()}`);
