// The planned maintenance window on a real Alertmanager (the generated config, every duration
// scaled 1/300: a minute of ladder = 200 ms), with mock webhook receivers standing in for email,
// Slack and PagerDuty. The test plays Prometheus: it posts the PlannedMaintenance alerts the rules
// raise during the window, the outage the planned downtime causes (SystemDown) and one of its
// symptoms (ApiErrorRateHigh), and an unrelated outage. During the window only the unrelated
// outage notifies; when the window ends with the payments engine still down, SystemDown climbs its
// ladder before a control alert raised at the window's end reaches its 5-minute rung (so within 5
// minutes, on Alertmanager's own clock: no wall-clock timing is asserted); the symptom notifies
// once its aftermath is over.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  alertByName,
  alertmanagerConfigYaml,
  alertRule,
  MAINTENANCE_ALERT,
  MAINTENANCE_WINDOW,
  maintenanceAlertRules,
} from '@paywatch/kpi';
import { type RunningServer, startAlertmanager, waitFor } from '@paywatch/runtime';
import { ladderOf, notificationsFor, postAlerts, resolveAlerts, startWebhookSink, type PostedAlert, type WebhookSink } from './helpers.ts';

const SCALE = 1 / 300;
const WAIT = { timeoutMs: 60_000, intervalMs: 50 };
const FAST_SETTLE = ['--cluster.gossip-interval=20ms', '--cluster.settle-timeout=2s'];

function alert(name: string, incidentClass: string, extra: Record<string, string> = {}): PostedAlert {
  const definition = alertByName(name);
  const level = definition.levels.find((l) => l.incidentClass === incidentClass)!;
  const rule = alertRule(definition, level);
  return { labels: { alertname: name, ...rule.labels, ...extra }, annotations: { ...rule.annotations, description: `test ${name}` } };
}

/** The PlannedMaintenance alerts as the generated rules raise them, by aftermath. */
function maintenance(aftermath: string): PostedAlert {
  const rule = maintenanceAlertRules().find((r) => (r.labels as Record<string, string>).aftermath === aftermath);
  assert.ok(rule, `no PlannedMaintenance rule with aftermath ${aftermath}`);
  return {
    labels: { alertname: MAINTENANCE_ALERT, ...(rule.labels as Record<string, string>) },
    annotations: rule.annotations as Record<string, string>,
  };
}

let sink: WebhookSink;
let am: RunningServer;

before(async () => {
  sink = await startWebhookSink();
  const config = alertmanagerConfigYaml({
    receivers: { kind: 'webhook', url: (receiver) => sink.receiverUrl(receiver) },
    timeScale: SCALE,
    maintenance: MAINTENANCE_WINDOW,
  });
  am = await startAlertmanager({ dir: mkdtempSync(join(tmpdir(), 'paywatch-am-maintenance-')), config, extraArgs: FAST_SETTLE });
  await waitFor(
    async () => ((await (await fetch(`${am.url}/api/v2/status`)).json()) as { cluster?: { status?: string } }).cluster?.status === 'ready',
    { ...WAIT, what: 'the Alertmanager cluster to settle' },
  );
});

after(async () => {
  await am?.stop();
  await sink?.close();
});

test('planned maintenance pages nobody; an outage that outlives it reaches the ladder within 5 minutes of its end (mock webhook receivers)', async () => {
  const windowStart = new Date();
  const sources = maintenanceAlertRules().map((r) => maintenance((r.labels as Record<string, string>).aftermath!));
  const outage = alert('SystemDown', 'Sev1', { service: 'payments-api', target: 'payments-api' });
  const symptom = alert('ApiErrorRateHigh', 'Sev2');
  const unrelated = alert('PaymentGatewayDown', 'Sev2', { gateway: 'gateway_b' });
  await postAlerts(am.url, [...sources, outage, symptom, unrelated], windowStart);

  // During the window: the unrelated outage climbs its whole ladder (30 minutes) ...
  await waitFor(() => ladderOf(sink.notifications, { alertname: 'PaymentGatewayDown' }).includes('executives'), {
    ...WAIT,
    what: 'the unrelated gateway outage to reach the executives during the window',
  });
  // ... while what the planned downtime causes, and the window itself, notify nobody.
  assert.deepEqual(notificationsFor(sink.notifications, { alertname: 'SystemDown' }), [], 'SystemDown during the window');
  assert.deepEqual(notificationsFor(sink.notifications, { alertname: 'ApiErrorRateHigh' }), [], 'its symptom during the window');
  assert.deepEqual(notificationsFor(sink.notifications, { alertname: MAINTENANCE_ALERT }), [], 'PlannedMaintenance itself');

  // The window ends (Prometheus resolves the window-only PlannedMaintenance); the engine is still down.
  const atEnd = sink.notifications.length;
  await resolveAlerts(am.url, [maintenance('0m')], windowStart);
  const control = alert('LmsDown', 'Sev2', { scenario: 'raised at the end of the window' });
  await postAlerts(am.url, [control]);
  await waitFor(() => ladderOf(sink.notifications.slice(atEnd), { alertname: 'LmsDown' }).includes('slack'), {
    ...WAIT,
    what: "the control alert's 5-minute rung",
  });
  const controlSlack = sink.notifications.find((n) => n.receiver === 'slack' && n.alerts.some((a) => a.labels.alertname === 'LmsDown'))!;
  const outageAfter = notificationsFor(sink.notifications.slice(atEnd), { alertname: 'SystemDown' });
  assert.deepEqual(
    outageAfter
      .filter((n) => n.seq < controlSlack.seq)
      .map((n) => n.receiver)
      .sort(),
    ['email-oncall', 'executives', 'pagerduty', 'slack'],
    'SystemDown reaches every rung already due (it started with the window) before 5 minutes have passed since the window ended',
  );
  // Its symptom is still explained by the window's aftermath (its data still covers the downtime).
  assert.deepEqual(notificationsFor(sink.notifications, { alertname: 'ApiErrorRateHigh' }), [], 'the symptom during the aftermath');

  // The engine comes back, the aftermath is over, and the error rate is still high: the symptom,
  // no longer explained by the outage nor by the window, is notified too (missed nothing).
  await resolveAlerts(am.url, [outage, maintenance('7m')], windowStart);
  await waitFor(() => ladderOf(sink.notifications, { alertname: 'ApiErrorRateHigh' }).includes('email-oncall'), {
    ...WAIT,
    what: 'the symptom that outlived the aftermath to be notified',
  });
  assert.deepEqual(notificationsFor(sink.notifications, { alertname: MAINTENANCE_ALERT }), [], 'PlannedMaintenance is never notified');
});
