// Beyond one machine: the scope proxy in front of Thanos Query, which reads two Prometheus
// replicas (external label replica="a"/"b", the same data) through Thanos sidecars and
// deduplicates them. The same leak oracle as the adversarial suite (fixture.ts): each scoped
// caller's answers through the proxy to the "truth" Thanos must equal those to a twin Thanos whose
// out-of-scope data differs; and every dashboard panel query answers through Thanos exactly as it
// does through the proxy in front of one Prometheus.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  freePort,
  importOpenMetrics,
  repoRoot,
  requireTool,
  startPrometheus,
  startService,
  waitFor,
  type RunningServer,
  type Service,
} from '@paywatch/runtime';
import { panelQueries, type QueryIndex } from '../../plugin/src/dashboards/queries.ts';
import { startScopeProxy, type ScopeProxy } from '../src/server.ts';
import {
  baseSeries,
  CALLERS,
  form,
  labelSets,
  normalise,
  openMetrics,
  rawRequest,
  REPO_POLICY,
  SECRET,
  STEP_SECONDS,
  twinSeries,
  type RawRequest,
  type Series,
  type Truth,
} from './fixture.ts';

const SCOPED = ['meera.bm', 'ravi.fo', 'vikram.viewer'];

interface ThanosInstance {
  replicas: RunningServer[];
  services: Service[];
  /** Thanos Query's HTTP API. */
  queryUrl: string;
  proxy: ScopeProxy;
  /** The proxy in front of replica "a" alone: what one machine answers. */
  single?: ScopeProxy;
}

async function startProxy(upstream: string): Promise<ScopeProxy> {
  return startScopeProxy({
    policyPath: REPO_POLICY,
    upstream,
    port: await freePort(),
    secret: SECRET,
    watchPolicy: false,
    log: () => undefined,
  });
}

/** Two replicas of one data set, a sidecar each, Thanos Query over both, the proxy in front. */
async function startThanos(dir: string, series: Series[], end: number, withSingle: boolean): Promise<ThanosInstance> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'data.om'), openMetrics(series, end));
  const blocks = join(dir, 'blocks');
  await importOpenMetrics(join(dir, 'data.om'), blocks);
  const instance: ThanosInstance = { replicas: [], services: [], queryUrl: '', proxy: undefined as unknown as ScopeProxy };
  const thanos = requireTool('thanos');
  try {
    const endpoints: string[] = [];
    for (const replica of ['a', 'b']) {
      const replicaDir = join(dir, replica);
      cpSync(blocks, join(replicaDir, 'data'), { recursive: true });
      const prometheus = await startPrometheus({
        dir: replicaDir,
        config: `global:\n  evaluation_interval: 1m\n  external_labels:\n    replica: ${replica}\n`,
      });
      instance.replicas.push(prometheus);
      const grpc = await freePort();
      const http = await freePort();
      instance.services.push(
        await startService({
          name: `thanos-sidecar-${replica}`,
          command: thanos,
          args: ['sidecar', `--prometheus.url=${prometheus.url}`, `--grpc-address=127.0.0.1:${grpc}`, `--http-address=127.0.0.1:${http}`],
          readyUrl: `http://127.0.0.1:${http}/-/ready`,
          readyTimeoutMs: 60_000,
        }),
      );
      endpoints.push(`127.0.0.1:${grpc}`);
    }
    const http = await freePort();
    instance.queryUrl = `http://127.0.0.1:${http}`;
    instance.services.push(
      await startService({
        name: 'thanos-query',
        command: thanos,
        args: [
          'query',
          `--http-address=127.0.0.1:${http}`,
          `--grpc-address=127.0.0.1:${await freePort()}`,
          ...endpoints.map((e) => `--endpoint=${e}`),
          '--query.replica-label=replica',
        ],
        readyUrl: `${instance.queryUrl}/-/ready`,
        readyTimeoutMs: 60_000,
      }),
    );
    // Ready is not connected: wait until Query answers from both replicas.
    let seen = '';
    await waitFor(
      async () => {
        const r = await fetch(
          `${instance.queryUrl}/api/v1/query?${form([
            ['query', 'count by (replica) (db_up)'],
            ['time', String(end)],
            ['dedup', 'false'],
          ])}`,
        );
        seen = await r.text();
        const json = JSON.parse(seen) as { data?: { result?: unknown[] } };
        return json.data?.result?.length === 2;
      },
      { timeoutMs: 60_000, what: 'Thanos Query to see both replicas' },
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}; it answered ${seen.slice(0, 300)}; ${instance.services.map((s) => `${s.name} said:\n${s.output().slice(-700)}`).join('\n')}`,
      );
    });
    instance.proxy = await startProxy(instance.queryUrl);
    if (withSingle) instance.single = await startProxy(instance.replicas[0]!.url);
    return instance;
  } catch (error) {
    await stopThanos(instance);
    throw error;
  }
}

async function stopThanos(instance: ThanosInstance): Promise<void> {
  await instance.proxy?.stop().catch(() => undefined);
  await instance.single?.stop().catch(() => undefined);
  for (const service of [...instance.services].reverse()) await service.stop().catch(() => undefined);
  await Promise.all(instance.replicas.map((r) => r.stop().catch(() => undefined)));
}

function others(truth: Truth): { own: string; other: string; otherOfficer: string } {
  if (truth.kind === 'branch') return { own: truth.branches[0]!, other: 'BR0003', otherOfficer: 'BR0003-FO02' };
  if (truth.kind === 'officer') return { own: truth.branch, other: 'BR0002', otherOfficer: `${truth.branch}-FO02` };
  return { own: 'BR0001', other: 'BR0002', otherOfficer: 'BR0002-FO01' };
}

/** Attempts to read another branch's or officer's data, and honest queries, through Thanos. */
function corpus(truth: Truth, end: number): Array<{ name: string; req: RawRequest }> {
  const { own, other, otherOfficer } = others(truth);
  const queries = [
    `payments_total{branch="${own}"}`,
    `sum by (branch) (rate(payments_total[5m]))`,
    `payments_total{branch="${other}"}`,
    `{branch="${other}"}`,
    '{__name__=~".+"}',
    'count by (branch) ({__name__=~".+"})',
    `sum(payments_total{branch="${other}"}) or on() vector(0)`,
    'topk(3, payments_total)',
    'count_values("branch", payments_total)',
    `label_replace(payments_total, "branch", "${other}", "", "")`,
    `payments_total{branch=~"${own}|.*"}`,
    `{"payments_total", "branch"=~".*"}`,
    `{"bran\\u0063h"="${other}", "payments_total"}`,
    `field_collections_total{officer="${otherOfficer}"}`,
    'sum by (officer) (field_collection_amount_total)',
    'sum without (branch) (payments_total)',
    'max(twin_only_fleet_metric) or max(payments_total)',
    'paywatch:payment_success_ratio:rate5m',
    'paywatch:payments:rate5m',
    'histogram_quantile(0.9, sum by (le) (rate(rfid_verification_duration_seconds_bucket[5m])))',
    '(payments_total - payments_total offset 10m)[30m:5m]',
    'payments_total{replica="b"}',
    'count by (replica) (payments_total)',
  ];
  const out: Array<{ name: string; req: RawRequest }> = [];
  for (const q of queries) {
    out.push({
      name: `query ${q}`,
      req: {
        method: 'GET',
        path: `/api/v1/query?${form([
          ['query', q],
          ['time', String(end)],
        ])}`,
      },
    });
    out.push({
      name: `query_range ${q}`,
      req: {
        method: 'POST',
        path: '/api/v1/query_range',
        body: form([
          ['query', q],
          ['start', String(end - 1800)],
          ['end', String(end)],
          ['step', '300'],
        ]),
      },
    });
  }
  const get = (path: string, params: Array<[string, string]>) => ({
    method: 'GET',
    path: params.length ? `${path}?${form(params)}` : path,
  });
  const listings: Array<[string, RawRequest]> = [
    [
      'series all names',
      get('/api/v1/series', [
        ['match[]', '{__name__=~".+"}'],
        ['start', String(end - 600)],
        ['end', String(end)],
      ]),
    ],
    [
      'series other branch',
      get('/api/v1/series', [
        ['match[]', `payments_total{branch="${other}"}`],
        ['start', String(end - 600)],
        ['end', String(end)],
      ]),
    ],
    [
      'labels',
      get('/api/v1/labels', [
        ['start', String(end - 600)],
        ['end', String(end)],
      ]),
    ],
    [
      'branch values',
      get('/api/v1/label/branch/values', [
        ['start', String(end - 600)],
        ['end', String(end)],
      ]),
    ],
    [
      'officer values',
      get('/api/v1/label/officer/values', [
        ['start', String(end - 600)],
        ['end', String(end)],
      ]),
    ],
    ['replica values', get('/api/v1/label/replica/values', [])],
    [
      'metric names',
      get('/api/v1/label/__name__/values', [
        ['start', String(end - 600)],
        ['end', String(end)],
      ]),
    ],
    ['Thanos stores', get('/api/v1/stores', [])],
    ['rules', get('/api/v1/rules', [])],
    ['alerts', get('/api/v1/alerts', [])],
  ];
  for (const [name, req] of listings) out.push({ name, req });
  return out;
}

function outOfScope(truth: Truth, labels: Record<string, string>): boolean {
  if (truth.kind === 'branch') return labels.branch !== undefined && !truth.branches.includes(labels.branch);
  if (truth.kind === 'officer')
    return (
      (labels.branch !== undefined && labels.branch !== truth.branch) || (labels.officer !== undefined && labels.officer !== truth.officer)
    );
  if (truth.kind === 'aggregate')
    return !!labels.branch || !!labels.officer || (labels.__name__ !== undefined && !truth.metrics.includes(labels.__name__));
  return false;
}

describe('the scope proxy in front of Thanos Query over two Prometheus replicas', { timeout: 600_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), 'scope-proxy-thanos-'));
  const end = Math.floor(Date.now() / 1000 / STEP_SECONDS) * STEP_SECONDS - 300;
  let truth: ThanosInstance | undefined;
  const twins = new Map<string, ThanosInstance>();

  before(async () => {
    truth = await startThanos(join(root, 'truth'), baseSeries(), end, true);
    for (const login of SCOPED) twins.set(login, await startThanos(join(root, login), twinSeries(CALLERS[login]!), end, false));
  });
  after(async () => {
    for (const instance of [truth, ...twins.values()]) if (instance) await stopThanos(instance);
    rmSync(root, { recursive: true, force: true });
  });

  test('Thanos deduplicates the two replicas: each series once, as one Prometheus has it', async () => {
    const q = 'payments_total{branch="BR0001"}';
    const ask = async (url: string, extra: Array<[string, string]> = []) =>
      (
        (await (await fetch(`${url}/api/v1/query?${form([['query', q], ['time', String(end)], ...extra])}`)).json()) as {
          data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
        }
      ).data.result;
    const one = await ask(truth!.replicas[0]!.url);
    const deduplicated = await ask(truth!.queryUrl);
    const both = await ask(truth!.queryUrl, [['dedup', 'false']]);
    assert.ok(one.length >= 4, `BR0001 has payment series (${one.length})`);
    const key = (r: { metric: Record<string, string>; value: [number, string] }) =>
      `${JSON.stringify(
        Object.entries(r.metric)
          .filter(([k]) => k !== 'replica')
          .sort(),
      )} ${r.value[1]}`;
    assert.deepEqual(deduplicated.map(key).sort(), one.map(key).sort());
    assert.equal(both.length, one.length * 2, 'without deduplication each series comes from both replicas');
    assert.deepEqual(new Set(both.map((r) => r.metric.replica)), new Set(['a', 'b']));
  });

  for (const login of SCOPED) {
    test(`${login}: nothing outside the scope through Thanos, answers identical with the twin`, async () => {
      const callerTruth = CALLERS[login]!;
      const twin = twins.get(login)!;
      const failures: string[] = [];
      let withData = 0;
      let refused = 0;
      for (const { name, req } of corpus(callerTruth, end)) {
        const [a, b] = await Promise.all([rawRequest(truth!.proxy.url, req, login), rawRequest(twin.proxy.url, req, login)]);
        if (a.status >= 500 || b.status >= 500) failures.push(`${name}: 5xx ${a.status}/${b.status} ${a.body.slice(0, 200)}`);
        if (normalise(a) !== normalise(b))
          failures.push(
            `${name}: answer depends on out-of-scope data\n   A: ${normalise(a).slice(0, 300)}\n   B: ${normalise(b).slice(0, 300)}`,
          );
        for (const labels of labelSets(a))
          if (outOfScope(callerTruth, labels)) failures.push(`${name}: out-of-scope labels ${JSON.stringify(labels)}`);
        if (name === 'branch values' && Array.isArray(a.json?.data)) {
          const allowed = callerTruth.kind === 'branch' ? callerTruth.branches : callerTruth.kind === 'officer' ? [callerTruth.branch] : [];
          for (const v of a.json.data as string[]) if (!allowed.includes(v)) failures.push(`branch values: listed ${v}`);
        }
        if (a.status === 200 && labelSets(a).length > 0) withData++;
        if (a.status >= 400 && a.status < 500) refused++;
      }
      assert.deepEqual(failures, [], failures.join('\n'));
      assert.ok(withData >= 3, `only ${withData} answers carried data`);
      assert.ok(refused >= 1, 'some attempts were refused');
      console.log(`thanos ${login}: ${corpus(callerTruth, end).length} requests, ${withData} with data, ${refused} refused, 0 leaks`);
    });
  }

  test("every dashboard panel query answers through Thanos as through one Prometheus, for each role's person", async () => {
    const index = JSON.parse(readFileSync(join(repoRoot, 'plugin', 'src', 'dashboards', 'index.json'), 'utf8')) as QueryIndex;
    const people: Array<[string, Record<string, string>]> = [
      ['asha.exec', {}],
      ['meera.bm', { branch: 'BR0001' }],
      ['ravi.fo', { officer: 'BR0001-FO01' }],
      ['vikram.viewer', {}],
      ['devi.ops', {}],
    ];
    let asked = 0;
    let withData = 0;
    const differences: string[] = [];
    for (const [login, vars] of people) {
      for (const query of panelQueries(index, vars)) {
        const params: Array<[string, string]> = [['query', query.expr]];
        if (query.instant) params.push(['time', String(end)]);
        else params.push(['start', String(end - 3600)], ['end', String(end)], ['step', '60']);
        const req: RawRequest = { method: 'POST', path: `/api/v1/${query.instant ? 'query' : 'query_range'}`, body: form(params) };
        const [viaThanos, viaOne] = await Promise.all([
          rawRequest(truth!.proxy.url, req, login),
          rawRequest(truth!.single!.url, req, login),
        ]);
        asked++;
        if (viaThanos.status === 200 && labelSets(viaThanos).length > 0) withData++;
        // Thanos adds its own warnings and an empty query "analysis"; the data must be the same.
        const data = (r: typeof viaThanos) => `${r.status} ${JSON.stringify(r.json?.data ?? r.json?.errorType ?? r.body)}`;
        const sorted = (r: typeof viaThanos) => {
          if (!r.json) return normalise(r);
          const { analysis: _analysis, ...rest } = (r.json.data ?? {}) as Record<string, unknown>;
          return normalise({ ...r, json: { data: r.json.data ? rest : undefined, errorType: r.json.errorType } });
        };
        if (sorted(viaThanos) !== sorted(viaOne))
          differences.push(
            `${login} ${query.uid} "${query.panelTitle}" ${query.refId}: ${query.expr}\n   Thanos: ${data(viaThanos).slice(0, 200)}\n   one:    ${data(viaOne).slice(0, 200)}`,
          );
      }
    }
    assert.deepEqual(differences.slice(0, 5), [], `${differences.length} of ${asked} differ`);
    assert.ok(asked > 100, `only ${asked} panel queries`);
    assert.ok(withData > 0, 'some panel queries had data');
    console.log(
      `thanos dashboards: ${asked} panel queries as 5 people, identical through Thanos and one Prometheus, ${withData} with data`,
    );
  });
});
