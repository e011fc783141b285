// The whole path on a compressed clock: the simulator writes the business into a real PostgreSQL
// and plays the payments API and the LMS; the LMS exporter reads the outbox; the blackbox prober
// checks /lms/health; a real Prometheus scrapes them every second with the generated rules (their
// `for` scaled down). During an LMS outage LmsDown and LmsPostingQueueGrowing fire; when the LMS
// is back the queue drains and both resolve.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { startExporter, type RunningExporter } from '@paywatch/exporters';
import { blackboxConfigYaml, prometheusConfigYaml, ruleFiles } from '@paywatch/kpi';
import { startSimulator, type Simulator } from '@paywatch/simulator';
import {
  freePort,
  promQuery,
  type RunningServer,
  type Service,
  startPrometheus,
  startService,
  waitFor,
  requireTool,
} from '@paywatch/runtime';
import { createTestDatabase, type TestDatabase } from '@paywatch/testing';

/** Every `for` of the rules × this: LmsDown's 30 s = 0.6 s, the queue's 15 min = 18 s. */
const FOR_SCALE = 0.02;

const cleanup: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => undefined);
});

interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
  value: string;
}

async function alerts(prometheus: RunningServer): Promise<PromAlert[]> {
  const response = await fetch(`${prometheus.url}/api/v1/alerts`);
  return ((await response.json()) as { data: { alerts: PromAlert[] } }).data.alerts;
}

const firing = (list: PromAlert[], name: string) => list.some((a) => a.labels.alertname === name && a.state === 'firing');
const present = (list: PromAlert[], name: string) => list.some((a) => a.labels.alertname === name);

async function queueDepth(prometheus: RunningServer): Promise<number | undefined> {
  const result = await promQuery(prometheus.url, 'max(lms_posting_queue_depth)');
  return result[0] ? Number(result[0].value[1]) : undefined;
}

test('LMS outage: LmsDown and LmsPostingQueueGrowing fire, then resolve when the queue drains', { timeout: 120_000 }, async () => {
  const db: TestDatabase = await createTestDatabase('lms_outage_e2e');
  cleanup.push(() => db.drop());
  const logs: string[] = [];
  // 20 branches at 120 simulated seconds per second, starting on a weekday's late-morning peak.
  const simulator: Simulator = await startSimulator({
    databaseUrl: db.url,
    port: 0,
    branches: 20,
    officersPerBranch: 5,
    speed: 120,
    start: '2026-03-03T10:30:00+05:30',
    incidents: false,
    apiRate: 5,
    tickMs: 250,
    progressMs: 0,
    log: (line) => logs.push(line),
  });
  cleanup.push(() => simulator.stop());
  const lms: RunningExporter = await startExporter('lms', {
    databaseUrl: db.url,
    port: 0,
    pollIntervalSeconds: 0.5,
    safetyLagSeconds: 0,
    lmsHealthUrl: `${simulator.url}/lms/health`,
    log: (line) => logs.push(line),
  });
  cleanup.push(() => lms.stop());

  const dir = mkdtempSync(join(tmpdir(), 'paywatch-lms-e2e-'));
  writeFileSync(join(dir, 'blackbox.yml'), blackboxConfigYaml());
  const blackboxPort = await freePort();
  const blackbox: Service = await startService({
    name: 'blackbox',
    command: requireTool('blackbox'),
    args: [`--config.file=${join(dir, 'blackbox.yml')}`, `--web.listen-address=127.0.0.1:${blackboxPort}`],
    readyUrl: `http://127.0.0.1:${blackboxPort}/-/healthy`,
  });
  cleanup.push(() => blackbox.stop());

  const apiAddress = new URL(simulator.url).host;
  const prometheusDir = join(dir, 'prometheus');
  const prometheus = await startPrometheus({
    dir: prometheusDir,
    config: prometheusConfigYaml({
      targets: { paymentsApi: apiAddress, lms: new URL(lms.url).host, blackbox: `127.0.0.1:${blackboxPort}`, alertmanager: '127.0.0.1:1' },
      scrapeInterval: '1s',
      evaluationInterval: '1s',
      probeInterval: '1s',
      omitJobs: ['payments', 'rfid', 'pool', 'scope-proxy', 'node', 'prometheus', 'alertmanager', 'blackbox-exporter'],
    }),
    files: Object.fromEntries(Object.entries(ruleFiles({ forScale: FOR_SCALE })).map(([name, content]) => [`rules/${name}`, content])),
  });
  cleanup.push(() => prometheus.stop());

  // Healthy first: the LMS answers, postings flow, no LMS alert.
  await waitFor(
    async () =>
      (await promQuery(prometheus.url, 'probe_success{service="lms"} == 1')).length > 0 &&
      (await promQuery(prometheus.url, 'lms_up == 1')).length > 0,
    {
      timeoutMs: 30_000,
      what: 'the LMS to be seen up by the exporter and the prober',
    },
  );
  assert.ok(!present(await alerts(prometheus), 'LmsDown'), 'no LmsDown before the outage');

  // The outage: up to 2 real minutes (4 simulated hours); ended by hand once the alerts fired.
  simulator.startScenario('lms_outage', { minutes: 2 });
  await waitFor(async () => firing(await alerts(prometheus), 'LmsDown'), { timeoutMs: 30_000, what: 'LmsDown to fire' });
  const down = (await alerts(prometheus)).find((a) => a.labels.alertname === 'LmsDown')!;
  assert.equal(down.labels.severity, 'critical');
  assert.equal(down.labels.incident_class, 'Sev2');
  await waitFor(async () => firing(await alerts(prometheus), 'LmsPostingQueueGrowing'), {
    timeoutMs: 45_000,
    intervalMs: 500,
    what: 'LmsPostingQueueGrowing to fire',
  });
  const peak = (await queueDepth(prometheus)) ?? 0;
  assert.ok(peak > 50, `queue depth ${peak} during the outage`);

  // The LMS comes back: the queue drains, the alerts resolve.
  simulator.stopScenario('lms_outage');
  await waitFor(async () => ((await queueDepth(prometheus)) ?? Infinity) < 50, { timeoutMs: 45_000, what: 'the queue to drain' });
  await waitFor(
    async () => {
      const list = await alerts(prometheus);
      return !present(list, 'LmsDown') && !present(list, 'LmsPostingQueueGrowing');
    },
    { timeoutMs: 30_000, what: 'LmsDown and LmsPostingQueueGrowing to resolve' },
  );
  assert.equal((await promQuery(prometheus.url, 'lms_up'))[0]?.value[1], '1');
});
