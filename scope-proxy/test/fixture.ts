// A real Prometheus (or several) holding known branch and officer data, with a scope proxy in
// front of each, for the adversarial corpus and the fuzz run.
//
// How leaks are detected without trusting the proxy: besides the "truth" Prometheus A, each
// scoped caller gets a twin Prometheus B holding the same in-scope series but different
// out-of-scope data (other values, other branch/officer names, extra series that exist only in
// B). Which series are in scope is decided here, from the policy's meaning, independently of the
// proxy's code. If a caller's answer through the proxy to A ever differs from the answer through
// the proxy to B, the answer depended on data outside the caller's scope: a leak.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, importOpenMetrics, type RunningServer, startPrometheus } from '@paywatch/runtime';
import { startScopeProxy, type ScopeProxy } from '../src/server.ts';

export const REPO_POLICY = new URL('../../policy/policy.yml', import.meta.url).pathname;
export const SECRET = 'test-only-shared-secret-0123456789';
export const SECRET_HEADER = 'X-Paywatch-Proxy-Secret';

export const BRANCHES = ['BR0001', 'BR0002', 'BR0003', 'BR0004', 'BR0005'];
export const OFFICERS = BRANCHES.flatMap((b) => [`${b}-FO01`, `${b}-FO02`]);
/** The allow-list in policy/policy.yml that the fixture's aggregate series use. */
export const AGGREGATES = ['paywatch:payment_success_ratio:rate5m', 'paywatch:payments:rate5m', 'paywatch:lms_posting_queue_depth:max5m'];

/** What each test caller may see, written from the policy's meaning (not from the proxy's code). */
export type Truth =
  | { kind: 'all' }
  | { kind: 'branch'; branches: string[] }
  | { kind: 'officer'; branch: string; officer: string }
  | { kind: 'aggregate'; metrics: string[] };

export const CALLERS: Record<string, Truth> = {
  'meera.bm': { kind: 'branch', branches: ['BR0001'] },
  'sunil.bm': { kind: 'branch', branches: ['BR0002', 'BR0003'] },
  'lakshmi.bm': { kind: 'branch', branches: ['BR0004', 'BR0005'] },
  'ravi.fo': { kind: 'officer', branch: 'BR0001', officer: 'BR0001-FO01' },
  'vikram.viewer': { kind: 'aggregate', metrics: AGGREGATES.concat(['paywatch:payment_amount_inr:rate5m']) },
};

export interface Series {
  name: string;
  labels: Record<string, string>;
  counter: boolean;
  base: number;
  slope: number;
}

export function inScope(truth: Truth, name: string, labels: Record<string, string>): boolean {
  switch (truth.kind) {
    case 'all':
      return true;
    case 'branch':
      return labels.branch !== undefined && truth.branches.includes(labels.branch);
    case 'officer':
      return labels.branch === truth.branch && labels.officer === truth.officer;
    case 'aggregate':
      return truth.metrics.includes(name) && !labels.branch && !labels.officer;
  }
}

/** The raw data: every series, with a distinct value pattern. */
export function baseSeries(): Series[] {
  const out: Series[] = [];
  let n = 0;
  const add = (name: string, labels: Record<string, string>, counter: boolean) => {
    n++;
    out.push({ name, labels, counter, base: 100 * n + 7, slope: counter ? (n % 13) + 1 : 0 });
  };
  for (const branch of BRANCHES) {
    for (const channel of ['upi', 'cash']) {
      for (const status of ['success', 'failed']) add('payments_total', { branch, channel, status }, true);
      add('payment_amount_total', { branch, channel }, true);
    }
    add('reconciliation_pending', { branch }, false);
    add('branch_collected_today_inr', { branch }, false);
    add('branch:payment_success_ratio:rate5m', { branch }, false);
    add('lms_posting_queue_depth_by_branch', { branch }, false);
    for (const le of ['0.1', '0.5', '+Inf']) add('rfid_verification_duration_seconds_bucket', { branch, le }, true);
    for (const officer of [`${branch}-FO01`, `${branch}-FO02`]) {
      for (const otp of ['verified', 'failed']) add('field_collections_total', { branch, officer, otp }, true);
      add('field_collection_amount_total', { branch, officer }, true);
      add('field_collections_unconfirmed', { branch, officer }, false);
      add('officer:field_collection_amount_inr:increase1d', { branch, officer }, false);
    }
  }
  add('lms_posting_queue_depth', {}, false);
  add('db_up', {}, false);
  add('db_connections', { state: 'active' }, false);
  for (const le of ['1', '5', '+Inf']) add('payment_processing_seconds_bucket', { channel: 'upi', le }, true);
  add('paywatch:payment_success_ratio:rate5m', {}, false);
  add('paywatch:payments:rate5m', { status: 'success' }, false);
  add('paywatch:payments:rate5m', { status: 'failed' }, false);
  add('paywatch:lms_posting_queue_depth:max5m', {}, false);
  return out;
}

/** The twin data set for one caller: in-scope series identical, everything else different. */
export function twinSeries(truth: Truth): Series[] {
  const usedBranches = new Set(truth.kind === 'branch' ? truth.branches : truth.kind === 'officer' ? [truth.branch] : []);
  const out: Series[] = [];
  for (const s of baseSeries()) {
    if (inScope(truth, s.name, s.labels)) {
      out.push(s);
      continue;
    }
    const labels = { ...s.labels };
    if (labels.branch && !usedBranches.has(labels.branch)) {
      const renamed = labels.branch.replace(/^BR00/, 'BR09');
      if (labels.officer) labels.officer = labels.officer.replace(labels.branch, renamed);
      labels.branch = renamed;
    } else if (labels.officer) labels.officer = labels.officer.replace(/-FO0/, '-FO9');
    out.push({ ...s, labels, base: s.base * 3 + 11, slope: s.slope * 2 + 1 });
  }
  // Series that exist only in the twin: existence must not be observable either.
  out.push({ name: 'payments_total', labels: { branch: 'BR0999', channel: 'upi', status: 'success' }, counter: true, base: 5, slope: 1 });
  out.push({ name: 'twin_only_fleet_metric', labels: {}, counter: false, base: 42, slope: 0 });
  out.push({
    name: 'field_collections_total',
    labels: { branch: 'BR0999', officer: 'BR0999-FO01', otp: 'verified' },
    counter: true,
    base: 9,
    slope: 2,
  });
  return out;
}

export const STEP_SECONDS = 60;
export const SPAN_SECONDS = 3600;

export function openMetrics(series: Series[], end: number): string {
  const lines: string[] = [];
  const byName = new Map<string, Series[]>();
  for (const s of series) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  for (const [name, list] of byName) {
    lines.push(`# TYPE ${name} unknown`);
    for (const s of list) {
      const labels = Object.entries(s.labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      for (let t = end - SPAN_SECONDS, i = 0; t <= end; t += STEP_SECONDS, i++) {
        const value = s.counter ? s.base + s.slope * i : s.base + (i % 5);
        lines.push(`${name}${labels ? `{${labels}}` : ''} ${value} ${t}`);
      }
    }
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

/**
 * Alerting rules for the oracle (issue 10): alerts whose values and annotations depend on data in
 * and out of a caller's scope. Thresholds are `> 0` so every alert exists in A and in each twin;
 * only values and query results differ, and those must never reach a caller who could not have
 * computed them. Samples end 5 minutes before "now", hence last_over_time.
 */
export const ORACLE_RULES = `groups:
  - name: oracle
    interval: 1s
    rules:
      - alert: FleetPayments
        expr: sum(last_over_time(payments_total[15m])) > 0
        annotations:
          summary: Payments across the fleet
          description: "{{ $value }} payments across the fleet"
      - alert: BranchPayments
        expr: sum by (branch) (last_over_time(payments_total[15m])) > 0
        annotations:
          summary: "Payments at {{ $labels.branch }}"
          description: "{{ $labels.branch }} has {{ $value }} payments"
          fleet: '{{ with query "sum(payments_total)" }}{{ . | first | value }} across the fleet{{ end }}'
          busiest: '{{ with query "topk(1, reconciliation_pending)" }}{{ (. | first).Labels.branch }} is busiest{{ end }}'
      - alert: BranchShareOfFleet
        expr: sum by (branch) (last_over_time(payments_total[15m])) / on() group_left sum(last_over_time(payments_total[15m])) > 0
        annotations:
          description: "{{ $labels.branch }} has {{ $value | humanizePercentage }} of the fleet's payments"
      - alert: OfficerCollections
        expr: last_over_time(field_collections_total[15m]) > 0
        annotations:
          description: "{{ $labels.officer }}: {{ $value }}"
      - alert: FleetSuccessRatio
        expr: last_over_time(paywatch:payment_success_ratio:rate5m[15m]) > 0
        annotations:
          description: "{{ $value }}"
      - alert: DatabaseSeen
        expr: last_over_time(db_up[15m]) > 0
        annotations:
          description: "db_up = {{ $value }}"
`;
export const ORACLE_ALERTS = [
  'FleetPayments',
  'BranchPayments',
  'BranchShareOfFleet',
  'OfficerCollections',
  'FleetSuccessRatio',
  'DatabaseSeen',
];

/** Until every oracle rule has fired once in this Prometheus. */
async function oracleAlertsFiring(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const body = (await fetch(`${url}/api/v1/alerts`)
      .then((r) => r.json())
      .catch(() => undefined)) as { data?: { alerts?: Array<{ labels: Record<string, string>; state: string }> } } | undefined;
    const alerts = body?.data?.alerts ?? [];
    const firing = new Set(alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname));
    if (ORACLE_ALERTS.every((name) => firing.has(name))) {
      // The alert states show before the evaluation's ALERTS and ALERTS_FOR_STATE samples are
      // committed: wait for those series too, so every instance lists the same series.
      const listed = async (name: string) =>
        (
          (await fetch(`${url}/api/v1/series?match[]=${name}`)
            .then((r) => r.json())
            .catch(() => undefined)) as { data?: unknown[] } | undefined
        )?.data?.length ?? 0;
      if ((await listed('ALERTS')) >= alerts.length && (await listed('ALERTS_FOR_STATE')) >= alerts.length) return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the oracle's alerts did not all fire in ${url} within 60 s`);
}

export interface Instance {
  prometheus: RunningServer;
  proxy: ScopeProxy;
}

async function startInstance(dir: string, series: Series[], end: number): Promise<Instance> {
  const data = join(dir, 'data');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'data.om'), openMetrics(series, end));
  await importOpenMetrics(join(dir, 'data.om'), data);
  const prometheus = await startPrometheus({
    dir,
    config: 'global:\n  evaluation_interval: 1m\nrule_files: [oracle-rules.yml]\n',
    files: { 'oracle-rules.yml': ORACLE_RULES },
  });
  const proxy = await startScopeProxy({
    policyPath: REPO_POLICY,
    upstream: prometheus.url,
    port: await freePort(),
    secret: SECRET,
    watchPolicy: false,
    log: () => undefined,
  });
  try {
    await oracleAlertsFiring(prometheus.url);
  } catch (error) {
    await proxy.stop();
    await prometheus.stop();
    throw error;
  }
  return { prometheus, proxy };
}

export interface Fixture {
  /** Evaluation time: the newest sample of every series. */
  end: number;
  truth: Instance;
  twins: Map<string, Instance>;
  stop(): Promise<void>;
}

/** Starts Prometheus A (all data) and a twin per listed caller. */
export async function startFixture(callers: string[]): Promise<Fixture> {
  const root = mkdtempSync(join(tmpdir(), 'scope-proxy-fixture-'));
  const end = Math.floor(Date.now() / 1000 / STEP_SECONDS) * STEP_SECONDS - 300;
  const started: Instance[] = [];
  try {
    const truthP = startInstance(join(root, 'truth'), baseSeries(), end);
    const twinPs = callers.map((login) => startInstance(join(root, login), twinSeries(CALLERS[login]!), end));
    const results = await Promise.allSettled([truthP, ...twinPs]);
    for (const r of results) if (r.status === 'fulfilled') started.push(r.value);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const twins = new Map(callers.map((login, i) => [login, started[i + 1]!]));
    return {
      end,
      truth: started[0]!,
      twins,
      async stop() {
        await Promise.all(
          started.map(async (i) => {
            await i.proxy.stop();
            await i.prometheus.stop();
          }),
        );
        rmSync(root, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all(
      started.map(async (i) => {
        await i.proxy.stop().catch(() => undefined);
        await i.prometheus.stop().catch(() => undefined);
      }),
    );
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

export interface RawRequest {
  method: string;
  /** Sent byte for byte: no URL normalisation. */
  path: string;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface RawResponse {
  status: number;
  body: string;
  json?: any;
}

/** An HTTP request sent exactly as written (fetch would clean `..` and `%2e` from the path). */
export function rawRequest(baseUrl: string, req: RawRequest, login?: string, secret: string | null = SECRET): Promise<RawResponse> {
  const url = new URL(baseUrl);
  const headers: Record<string, string> = { ...(req.headers ?? {}) };
  if (secret !== null) headers[SECRET_HEADER] = secret;
  if (login !== undefined) headers['X-Grafana-User'] = login;
  if (req.body !== undefined) {
    headers['content-type'] = req.contentType ?? 'application/x-www-form-urlencoded';
    headers['content-length'] = String(Buffer.byteLength(req.body));
  }
  return new Promise((resolve, reject) => {
    const r = request({ host: url.hostname, port: url.port, method: req.method, path: req.path, headers, agent: keepAlive }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body, json });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

import { Agent } from 'node:http';
const keepAlive = new Agent({ keepAlive: true, maxSockets: 16 });

/** A stable form of an answer for comparing A with B: result order and timing fields removed. */
export function normalise(response: RawResponse): string {
  const json = response.json;
  if (json === undefined) return `${response.status} ${response.body}`;
  const copy = structuredClone(json);
  const data = copy?.data;
  if (data && Array.isArray(data.result)) data.result.sort((a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  else if (Array.isArray(data)) data.sort((a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  // Timing is not data: when each Prometheus evaluated or an alert became active.
  const byText = (a: unknown, b: unknown) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);
  const untimed = (alerts: Array<Record<string, unknown>> | undefined) => {
    for (const a of alerts ?? []) {
      delete a.activeAt;
      delete a.keepFiringSince;
    }
    alerts?.sort(byText);
  };
  if (Array.isArray(data?.alerts)) untimed(data.alerts);
  // The rule file's path differs only because each twin runs from its own directory.
  if (data?.groups)
    for (const g of data.groups) {
      delete g.file;
      delete g.lastEvaluation;
      delete g.evaluationTime;
      for (const r of g.rules ?? []) {
        delete r.lastEvaluation;
        delete r.evaluationTime;
        untimed(r.alerts);
      }
    }
  return `${response.status} ${JSON.stringify(copy)}`;
}

/** Every label set in an answer that came from stored series (vectors, matrices, series lists). */
export function labelSets(response: RawResponse): Array<Record<string, string>> {
  const data = response.json?.data;
  if (!data) return [];
  if (Array.isArray(data.result)) return data.result.map((r: { metric: Record<string, string> }) => r.metric ?? {});
  if (Array.isArray(data) && data.every((d: unknown) => d && typeof d === 'object')) return data as Array<Record<string, string>>;
  return [];
}

export function form(params: Array<[string, string]>): string {
  return params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}
