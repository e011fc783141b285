// A real Alertmanager 0.25 on the generated config, time-scaled (1 minute of the ladder = 200 ms)
// with every receiver replaced by a webhook into this test: the ladder arrives in order, a
// silence stops it, inhibition keeps symptoms quiet, the maintenance window mutes all but
// critical, and the production email receiver renders the templates (into an SMTP sink).
// No timing is asserted: every "did not arrive" is checked after a later event that, by the
// ladder's own order, must come after it (e.g. a control alert reaching its last rung).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  AFTERMATH_ALERT,
  aftermathAlertRules,
  alertmanagerConfigYaml,
  MAINTENANCE_WINDOW,
  renderAlertmanagerConfig,
  type TimeRange,
  alertByName,
  alertRule,
} from '@paywatch/kpi';
import { repoRoot, type RunningServer, startAlertmanager, waitFor } from '@paywatch/runtime';
import {
  ladderOf,
  notificationsFor,
  postAlerts,
  silence,
  startSmtpSink,
  startWebhookSink,
  resolveAlerts,
  type PostedAlert,
  type WebhookSink,
} from './helpers.ts';

const SCALE = 1 / 300;
const WAIT = { timeoutMs: 30_000, intervalMs: 50 };

/** The labels and annotations Prometheus would send for one level of one of our alerts. */
function alert(name: string, incidentClass: string, extra: Record<string, string> = {}): PostedAlert {
  const definition = alertByName(name);
  const level = definition.levels.find((l) => l.incidentClass === incidentClass)!;
  const rule = alertRule(definition, level);
  return { labels: { alertname: name, ...rule.labels, ...extra }, annotations: { ...rule.annotations, description: `test ${name}` } };
}

/** A maintenance window that covers now: today and tomorrow, all day (UTC). */
function windowCoveringNow(): TimeRange[] {
  const days = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
  const today = new Date().getUTCDay();
  return [{ weekdays: [days[today]!, days[(today + 1) % 7]!], times: [{ start_time: '00:00', end_time: '24:00' }], location: 'UTC' }];
}

let sink: WebhookSink;
const servers: RunningServer[] = [];

async function scaledAlertmanager(maintenance: TimeRange[]): Promise<RunningServer> {
  const config = alertmanagerConfigYaml({
    receivers: { kind: 'webhook', url: (receiver) => sink.receiverUrl(receiver) },
    timeScale: SCALE,
    maintenance,
  });
  const server = await startAlertmanager({ dir: mkdtempSync(join(tmpdir(), 'paywatch-am-e2e-')), config, extraArgs: FAST_SETTLE });
  servers.push(server);
  await clusterSettled(server);
  return server;
}

/**
 * Alertmanager holds every notification until its cluster gossip has settled (even alone), then
 * sends the backlog at once, out of order. Tests post their alerts once it has settled.
 */
async function clusterSettled(server: RunningServer): Promise<void> {
  await waitFor(
    async () => {
      const status = (await (await fetch(`${server.url}/api/v2/status`)).json()) as { cluster?: { status?: string } };
      return status.cluster?.status === 'ready';
    },
    { ...WAIT, what: 'the Alertmanager cluster to settle' },
  );
}

/** A lone test Alertmanager settles in a fraction of the default time with faster gossip. */
const FAST_SETTLE = ['--cluster.gossip-interval=20ms', '--cluster.settle-timeout=2s'];

const reached = (labels: Record<string, string>, receiver: string) => () => ladderOf(sink.notifications, labels).includes(receiver);

before(async () => {
  sink = await startWebhookSink();
});

after(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await sink.close();
});

test('the ladder: email, then Slack, then PagerDuty, then executives (Sev2); Sev1 pages at once', async () => {
  // The real maintenance window (second Sunday, IST) loads with its time zone; critical is never muted by it.
  const am = await scaledAlertmanager(MAINTENANCE_WINDOW);
  const sev2 = alert('PaymentGatewayDown', 'Sev2', { gateway: 'gateway_b' });
  const sev1 = alert('SystemDown', 'Sev1', { service: 'payments-api' });
  await postAlerts(am.url, [sev2, sev1]);
  await waitFor(reached({ alertname: 'PaymentGatewayDown' }, 'executives'), { ...WAIT, what: 'Sev2 ladder to reach the executives' });
  await waitFor(reached({ alertname: 'SystemDown' }, 'executives'), { ...WAIT, what: 'Sev1 ladder to reach the executives' });
  assert.deepEqual(ladderOf(sink.notifications, { alertname: 'PaymentGatewayDown' }), ['email-oncall', 'slack', 'pagerduty', 'executives']);
  const sev1Ladder = ladderOf(sink.notifications, { alertname: 'SystemDown' });
  assert.deepEqual(sev1Ladder.slice(0, 3).sort(), ['email-oncall', 'pagerduty', 'slack']);
  assert.equal(sev1Ladder[3], 'executives');
  // What the on-call needs travels with the alert.
  const first = notificationsFor(sink.notifications, { alertname: 'PaymentGatewayDown' })[0]!;
  assert.equal(first.alerts[0]!.annotations.runbook_url, 'docs/runbooks/PaymentGatewayDown.md');
  assert.ok(first.alerts[0]!.annotations.impact);
});

test('a silence is the acknowledgement: it stops the ladder where it is', async () => {
  const am = await scaledAlertmanager(MAINTENANCE_WINDOW);
  const acked = alert('LmsDown', 'Sev2', { branch: 'BR0101' });
  await postAlerts(am.url, [acked]);
  await waitFor(reached({ alertname: 'LmsDown', branch: 'BR0101' }, 'email-oncall'), { ...WAIT, what: 'the first email' });
  await silence(am.url, { alertname: 'LmsDown', branch: 'BR0101' });
  const silencedAt = sink.notifications.length;
  // A control alert posted after the silence climbs the whole ladder; the acknowledged one,
  // which started earlier, would have reached each rung before it.
  const control = alert('LmsDown', 'Sev2', { branch: 'BR0102' });
  await postAlerts(am.url, [control]);
  await waitFor(reached({ alertname: 'LmsDown', branch: 'BR0102' }, 'executives'), {
    ...WAIT,
    what: 'the control alert to reach the executives',
  });
  const afterSilence = notificationsFor(sink.notifications.slice(silencedAt), { alertname: 'LmsDown', branch: 'BR0101' });
  assert.deepEqual(
    afterSilence.map((n) => n.receiver),
    [],
    'notifications after the acknowledgement',
  );
  assert.ok(!ladderOf(sink.notifications, { branch: 'BR0101' }).includes('pagerduty'));
  assert.ok(!ladderOf(sink.notifications, { branch: 'BR0101' }).includes('executives'));
});

test('inhibition: a root cause pages once, its symptoms and milder levels stay quiet', async () => {
  const am = await scaledAlertmanager(MAINTENANCE_WINDOW);
  await postAlerts(am.url, [
    alert('LmsDown', 'Sev2', { branch: 'BR0201' }),
    alert('LmsPostingQueueDepthHigh', 'Sev3'),
    alert('LmsPostingQueueGrowing', 'Sev2'),
    alert('PaymentSuccessRateLow', 'Sev1', { scenario: 'inhibit' }),
    alert('PaymentSuccessRateLow', 'Sev2', { scenario: 'inhibit' }),
    alert('PaymentSuccessRateLow', 'Sev3', { scenario: 'inhibit' }),
  ]);
  await waitFor(reached({ alertname: 'LmsDown', branch: 'BR0201' }, 'executives'), { ...WAIT, what: 'LmsDown to reach the executives' });
  await waitFor(reached({ alertname: 'PaymentSuccessRateLow', incident_class: 'Sev1' }, 'executives'), {
    ...WAIT,
    what: 'Sev1 to reach the executives',
  });
  assert.deepEqual(notificationsFor(sink.notifications, { alertname: 'LmsPostingQueueDepthHigh' }), []);
  assert.deepEqual(notificationsFor(sink.notifications, { alertname: 'LmsPostingQueueGrowing' }), []);
  assert.deepEqual(notificationsFor(sink.notifications, { alertname: 'PaymentSuccessRateLow', incident_class: 'Sev2' }), []);
  assert.deepEqual(notificationsFor(sink.notifications, { alertname: 'PaymentSuccessRateLow', incident_class: 'Sev3' }), []);
});

test('the maintenance window mutes warnings and business alerts, never critical ones', async () => {
  const am = await scaledAlertmanager(windowCoveringNow());
  await postAlerts(am.url, [
    alert('ApiLatencyHigh', 'Sev3', { scenario: 'maintenance' }),
    alert('ReconciliationOverdue', 'Sev4', { branch: 'BR0301' }),
    alert('DatabaseConnectionsHigh', 'Sev2', { scenario: 'maintenance' }),
  ]);
  // Sev3's Slack rung (15 min) and Sev4's email (5 min) come before Sev2's executives (30 min).
  await waitFor(reached({ alertname: 'DatabaseConnectionsHigh', scenario: 'maintenance' }, 'executives'), {
    ...WAIT,
    what: 'the critical alert to reach the executives',
  });
  assert.deepEqual(ladderOf(sink.notifications, { alertname: 'DatabaseConnectionsHigh', scenario: 'maintenance' }), [
    'email-oncall',
    'slack',
    'pagerduty',
    'executives',
  ]);
  assert.deepEqual(notificationsFor(sink.notifications, { alertname: 'ApiLatencyHigh', scenario: 'maintenance' }), []);
  assert.deepEqual(notificationsFor(sink.notifications, { alertname: 'ReconciliationOverdue', branch: 'BR0301' }), []);
});

test('the production email receiver renders summary, impact, branch and runbook (SMTP sink)', async () => {
  const smtp = await startSmtpSink();
  try {
    const dir = mkdtempSync(join(tmpdir(), 'paywatch-am-mail-'));
    const rendered = renderAlertmanagerConfig(
      { PAYWATCH_SMTP_SMARTHOST: smtp.address, PAYWATCH_SMTP_REQUIRE_TLS: 'false', PAYWATCH_SMTP_PASSWORD: 'not-a-real-password' },
      dir,
      { 'paywatch.tmpl': readFileSync(join(repoRoot, 'prometheus/templates/paywatch.tmpl'), 'utf8') },
    );
    assert.ok(rendered.files['secrets/smtp_password'], 'a secret from the environment goes to a file, not the config');
    assert.doesNotMatch(rendered.config, /not-a-real-password/);
    const am = await startAlertmanager({ dir, config: rendered.config, files: rendered.files, extraArgs: FAST_SETTLE });
    servers.push(am);
    await clusterSettled(am);
    const overdue = alert('ReconciliationOverdue', 'Sev4', { branch: 'BR0042' });
    overdue.annotations!.summary = 'Overdue reconciliations at BR0042';
    overdue.annotations!.description = 'BR0042 has 3 reconciliations past their due time.';
    // Production timing: Sev4 waits 5 minutes for its digest. Alertmanager counts group_wait
    // from the alert's startsAt, so an alert that started 6 minutes ago is mailed at once.
    await postAlerts(am.url, [overdue], new Date(Date.now() - 6 * 60_000));
    const mail = await waitFor(() => smtp.mails.find((m) => m.to.some((t) => t.includes('finance-alerts@example.invalid'))), {
      ...WAIT,
      what: 'the finance email',
    });
    assert.match(mail.text, /Subject: \[FIRING:1\] Sev4 ReconciliationOverdue - Overdue reconciliations at BR0042/);
    assert.match(mail.text, /Branch: +BR0042/);
    assert.match(mail.text, /Impact: +Field collections are not confirmed/);
    assert.match(mail.text, /Runbook: +docs\/runbooks\/ReconciliationOverdue\.md/);
    assert.match(mail.text, /BR0042 has 3 reconciliations past their due time\./);
  } finally {
    await smtp.close();
  }
});

/** The IncidentAftermath alert of a root cause and aftermath, as the generated rules raise it. */
function aftermath(rootCause: string, length: string): PostedAlert {
  const rule = aftermathAlertRules().find((r) => {
    const labels = r.labels as Record<string, string>;
    return labels.root_cause === rootCause && labels.aftermath === length;
  });
  assert.ok(rule, `no ${AFTERMATH_ALERT} rule for ${rootCause} with aftermath ${length}`);
  return {
    labels: { alertname: AFTERMATH_ALERT, ...(rule.labels as Record<string, string>) },
    annotations: rule.annotations as Record<string, string>,
  };
}

test("an incident's aftermath: AvailabilityLow after a short LMS outage reaches nobody, executives included; once the aftermath is over it climbs", async () => {
  const am = await scaledAlertmanager(MAINTENANCE_WINDOW);
  // A 15-minute LMS outage is over: LmsDown resolved (it notified its own rungs), but the hour's
  // availability average stays under 99 % and AvailabilityLow Sev2 fires on. Prometheus keeps
  // IncidentAftermath{root_cause="lms"} firing for the aftermath (keep_firing_for).
  const started = new Date();
  const sources = aftermathAlertRules()
    .map((r) => r.labels as Record<string, string>)
    .filter((l) => l.root_cause === 'lms')
    .map((l) => aftermath('lms', l.aftermath!));
  const symptom = alert('AvailabilityLow', 'Sev2');
  // A control: a critical alert the LMS does not explain climbs its whole ladder meanwhile.
  const control = alert('PaymentFailuresHigh', 'Sev2', { branch: 'BR0301' });
  await postAlerts(am.url, [...sources, symptom, control], started);
  await waitFor(reached({ alertname: 'PaymentFailuresHigh', branch: 'BR0301' }, 'executives'), {
    ...WAIT,
    what: 'the control alert to reach the executives',
  });
  assert.deepEqual(notificationsFor(sink.notifications, { alertname: 'AvailabilityLow' }), [], 'AvailabilityLow during the aftermath');
  assert.deepEqual(notificationsFor(sink.notifications, { alertname: AFTERMATH_ALERT }), [], 'IncidentAftermath itself');

  // The aftermath is over and availability is still low: no longer the outage's data, so it is news.
  await resolveAlerts(am.url, sources, started);
  await waitFor(reached({ alertname: 'AvailabilityLow' }, 'executives'), {
    ...WAIT,
    what: 'AvailabilityLow that outlived the aftermath to climb its ladder',
  });
  assert.deepEqual(ladderOf(sink.notifications, { alertname: 'AvailabilityLow' }).sort(), [
    'email-oncall',
    'executives',
    'pagerduty',
    'slack',
  ]);
  assert.deepEqual(notificationsFor(sink.notifications, { alertname: AFTERMATH_ALERT }), [], 'IncidentAftermath is never notified');
});
