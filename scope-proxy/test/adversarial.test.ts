// Against real Prometheus: for each scoped caller, a corpus of requests written to leak. Each is
// sent as that caller through the proxy to Prometheus A (all data) and to the caller's twin B
// (same in-scope data, different everything else); the answers must be identical (nothing
// depends on out-of-scope data) and every label set answered must lie inside the scope as the
// policy means it (fixture.inScope, not the proxy's code).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CALLERS, form, labelSets, normalise, rawRequest, startFixture, type Fixture, type RawRequest, type Truth } from './fixture.ts';

const SCOPED = ['meera.bm', 'sunil.bm', 'lakshmi.bm', 'ravi.fo', 'vikram.viewer'];

function others(truth: Truth): { own: string; other: string; ownOfficer: string; otherOfficer: string } {
  switch (truth.kind) {
    case 'branch':
      return {
        own: truth.branches[0]!,
        other: truth.branches.includes('BR0003') ? 'BR0004' : 'BR0003',
        ownOfficer: `${truth.branches[0]}-FO01`,
        otherOfficer: 'BR0003-FO02',
      };
    case 'officer':
      return { own: truth.branch, other: 'BR0002', ownOfficer: truth.officer, otherOfficer: `${truth.branch}-FO02` };
    default:
      return { own: 'BR0001', other: 'BR0002', ownOfficer: 'BR0001-FO01', otherOfficer: 'BR0002-FO01' };
  }
}

/** Queries written to leak (and a few honest ones), with OWN/OTHER filled in per caller. */
function leakyQueries(truth: Truth, end: number): string[] {
  const { own, other, ownOfficer, otherOfficer } = others(truth);
  return [
    'payments_total',
    `payments_total{branch="${other}"}`,
    'payments_total{branch=~".*"}',
    `payments_total{branch=~"${other}|${own}"}`,
    `payments_total{branch!="${own}"}`,
    `payments_total{branch!~"${own}"}`,
    'payments_total{branch=""}',
    `{branch="${other}"}`,
    '{__name__=~".+"}',
    '{__name__=~".*", branch=~".+"}',
    '{__name__=~"payments_total|db_up|lms_posting_queue_depth"}',
    '{__name__!=""}',
    'sum(payments_total)',
    'sum by (branch) (payments_total)',
    'count by (branch) ({__name__=~".+"})',
    'count({__name__=~".+"})',
    'count by (__name__) ({__name__=~".+"})',
    'payments_total or vector(1)',
    `vector(1) or payments_total{branch="${other}"}`,
    `payments_total unless payments_total{branch="${own}"}`,
    `payments_total{branch="${own}"} unless on() payments_total{branch="${other}"}`,
    `payments_total{branch="${own}"} and on() payments_total{branch="${other}"}`,
    `sum(payments_total{branch="${own}"}) + on() group_left sum(payments_total{branch="${other}"})`,
    `label_replace(payments_total, "branch", "${other}", "", "")`,
    'label_replace(payments_total, "copied", "$1", "branch", "(.*)")',
    'label_join(payments_total, "branch", "", "channel")',
    `label_replace(payments_total, ("officer"), "${otherOfficer}", "", "")`,
    'label_replace(payments_total, "bra\\x6ech", "x", "", "")',
    `label_replace({__name__=~".+"}, "branch", "$1", "branch", "(.*)")`,
    `absent(payments_total{branch="${other}"})`,
    'absent(nonexistent_metric)',
    `absent_over_time(payments_total{branch="${other}"}[1h])`,
    'absent(db_up)',
    'absent(twin_only_fleet_metric)',
    'absent(payments_total{branch="BR0999"})',
    'db_up',
    'lms_posting_queue_depth',
    'twin_only_fleet_metric',
    'paywatch:payment_success_ratio:rate5m',
    'paywatch:payments:rate5m',
    'branch:payment_success_ratio:rate5m',
    `branch:payment_success_ratio:rate5m{branch="${other}"}`,
    'sum(rate(payments_total[5m])) by (branch)',
    `rate(payments_total{branch="${other}"}[5m])`,
    'max_over_time(payments_total[1h:5m])',
    `sum_over_time(payments_total{branch="${other}"}[30m] offset 10m)`,
    `payments_total @ ${end}`,
    `payments_total{branch="${other}"} @ ${end - 1800} offset 5m`,
    'payments_total offset 5m',
    `scalar(sum(payments_total{branch="${other}"}))`,
    'scalar(db_up)',
    'scalar(count({__name__=~".+"}))',
    'count_values("branch", payments_total)',
    'count_values("value", payments_total)',
    'topk(1, payments_total)',
    'bottomk(1000, {__name__=~".+"})',
    'payments_total / on(branch, channel, status) group_left payments_total',
    'payments_total > bool 0',
    'sort_desc(sum by (branch) (payments_total))',
    'histogram_quantile(0.9, sum by (le) (rate(rfid_verification_duration_seconds_bucket[5m])))',
    'histogram_quantile(0.9, sum by (le) (rate(payment_processing_seconds_bucket[5m])))',
    'timestamp(db_up)',
    'changes(db_up[1h])',
    'count_over_time({__name__=~".+"}[1h])',
    `{"branch"="${other}", "__name__"="payments_total"}`,
    `{"payments_total", "branch"=~".*"}`,
    // Prometheus 3's UTF-8 syntax: quoted names spelled with escapes, quoted grouping labels,
    // names outside the classic character set, and alternatives inside one selector.
    `{"bran\\u0063h"="${other}", "payments_total"}`,
    `payments_total{"br\\x61nch"=~".*"}`,
    `{"payments_total", "branch"!="${own}"}`,
    'sum by ("branch") (payments_total)',
    'count by ("branch", "officer") ({"officer"!=""})',
    `{"payments.total", "branch"="${other}"}`,
    `{"__name__"=~".+", "branch"=~".+"}`,
    `payments_total{branch="${own}" or branch="${other}"}`,
    `label_replace(payments_total, "branch", "${other}", "", "")`,
    'info(payments_total)',
    `field_collections_total{officer="${otherOfficer}"}`,
    'field_collections_total{officer=~".*"}',
    'sum by (officer) (field_collection_amount_total)',
    'group by (branch, officer) ({officer!=""})',
    `officer:field_collection_amount_inr:increase1d{officer="${ownOfficer}"}`,
    'payments_total{',
    'sum(',
    'payments_total{branch="x"}}',
    'sum(payments_total,)',
    '1 + 1',
    'time()',
    'vector(time())',
    `payments_total{branch="${own}"} + ignoring(branch) payments_total{branch="${other}"}`,
    'quantile(0.5, payments_total)',
    'stddev by (branch) (payments_total)',
    '(payments_total - payments_total offset 10m)[30m:5m]',
    '-payments_total',
    '+db_up',
    'last_over_time({__name__=~".+"}[5m])',
    `payments_total # {branch="${other}"}`,
    `payments_total{branch="${own}\\"}"}`,
    `payments_total{branch=\`${other}\`}`,
    `payments_total{branch='${other}'}`,
    'count(count by (branch) (payments_total))',
    'group(payments_total) by (branch)',
    `sum(payments_total{branch="${other}"}) or on() vector(0)`,
    'present_over_time(payments_total{branch="BR0999"}[1h])',
    'count(payments_total{branch=~"BR09.*"})',
    `payments_total{branch=~"(?i)${other.toLowerCase()}"}`,
    `payments_total{branch=~"${own}|.*"}`,
    `{__name__=~"pay.*", branch=~"${other}"}`,
    'sum without (branch) (payments_total)',
    'max(twin_only_fleet_metric) or max(payments_total)',
    `predict_linear(payments_total{branch="${other}"}[30m], 3600)`,
    'holt_winters(payments_total[10m], 0.5, 0.5)',
  ];
}

function requests(login: string, truth: Truth, end: number): Array<{ name: string; req: RawRequest }> {
  const { own, other } = others(truth);
  const out: Array<{ name: string; req: RawRequest }> = [];
  const queries = leakyQueries(truth, end);
  for (const q of queries)
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
  // A third of them again as range queries, over POST.
  queries.forEach((q, i) => {
    if (i % 3 === 0)
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
  });
  const listing = (path: string, params: Array<[string, string]>, method = 'GET') =>
    method === 'GET' ? { method, path: params.length ? `${path}?${form(params)}` : path } : { method, path, body: form(params) };
  const listings: Array<[string, RawRequest]> = [
    ['series all names', listing('/api/v1/series', [['match[]', '{__name__=~".+"}']])],
    ['series other branch', listing('/api/v1/series', [['match[]', `payments_total{branch="${other}"}`]])],
    ['series branch regex', listing('/api/v1/series', [['match[]', '{branch=~".+"}']], 'POST')],
    [
      'series own + other',
      listing('/api/v1/series', [
        ['match[]', `{branch="${own}"}`],
        ['match[]', `{branch="${other}"}`],
      ]),
    ],
    ['series without match', listing('/api/v1/series', [])],
    ['series officer regex', listing('/api/v1/series', [['match[]', '{officer=~".+"}']])],
    ['series twin only', listing('/api/v1/series', [['match[]', 'twin_only_fleet_metric']])],
    ['series with range (refused)', listing('/api/v1/series', [['match[]', 'payments_total[5m]']])],
    ['labels', listing('/api/v1/labels', [])],
    ['labels POST', listing('/api/v1/labels', [], 'POST')],
    ['labels all names', listing('/api/v1/labels', [['match[]', '{__name__=~".+"}']])],
    ['branch values', listing('/api/v1/label/branch/values', [])],
    ['branch values of payments', listing('/api/v1/label/branch/values', [['match[]', 'payments_total']])],
    ['officer values', listing('/api/v1/label/officer/values', [])],
    ['metric names', listing('/api/v1/label/__name__/values', [])],
    ['metric names of everything', listing('/api/v1/label/__name__/values', [['match[]', '{__name__=~".+"}']])],
    ['channel values', listing('/api/v1/label/channel/values', [])],
    ['status values with other branch', listing('/api/v1/label/status/values', [['match[]', `{branch="${other}"}`]])],
    ['metadata', listing('/api/v1/metadata', [])],
    ['metadata one metric', listing('/api/v1/metadata', [['metric', 'twin_only_fleet_metric']])],
    ['rules', listing('/api/v1/rules', [])],
    ['alerts', listing('/api/v1/alerts', [])],
    [
      'exemplars',
      listing('/api/v1/query_exemplars', [
        ['query', '{__name__=~".+"}'],
        ['start', String(end - 600)],
        ['end', String(end)],
      ]),
    ],
    ['whoami', listing('/api/v1/paywatch/whoami', [])],
  ];
  for (const [name, req] of listings) out.push({ name, req });
  const leak = `payments_total{branch="${other}"}`;
  const honest = `payments_total{branch="${own}"}`;
  const transport: Array<[string, RawRequest]> = [
    [
      'POST query in URL and body (different)',
      { method: 'POST', path: `/api/v1/query?${form([['query', honest]])}`, body: form([['query', leak]]) },
    ],
    [
      'POST query in body, leak in URL',
      {
        method: 'POST',
        path: `/api/v1/query?${form([['query', leak]])}`,
        body: form([
          ['query', honest],
          ['time', String(end)],
        ]),
      },
    ],
    [
      'POST same query in URL and body',
      {
        method: 'POST',
        path: `/api/v1/query?${form([['query', leak]])}`,
        body: form([
          ['query', leak],
          ['time', String(end)],
        ]),
      },
    ],
    [
      'GET duplicated query',
      {
        method: 'GET',
        path: `/api/v1/query?${form([
          ['query', honest],
          ['query', leak],
        ])}`,
      },
    ],
    [
      'GET duplicated identical query',
      {
        method: 'GET',
        path: `/api/v1/query?${form([
          ['query', leak],
          ['query', leak],
          ['time', String(end)],
        ])}`,
      },
    ],
    [
      'match[] in URL and body',
      { method: 'POST', path: `/api/v1/series?${form([['match[]', leak]])}`, body: form([['match[]', '{__name__=~".+"}']]) },
    ],
    ['semicolon separator', { method: 'GET', path: `/api/v1/query?query=${encodeURIComponent(honest)};query=${encodeURIComponent(leak)}` }],
    ['bad percent-encoding', { method: 'GET', path: '/api/v1/query?query=payments_total%zz' }],
    ['percent-encoded query', { method: 'GET', path: `/api/v1/query?query=%7B__name__%3D~%22.%2B%22%7D&time=${end}` }],
    [
      'multipart body',
      {
        method: 'POST',
        path: '/api/v1/query',
        body: `--x\r\nContent-Disposition: form-data; name="query"\r\n\r\n${leak}\r\n--x--\r\n`,
        contentType: 'multipart/form-data; boundary=x',
      },
    ],
    ['JSON body', { method: 'POST', path: '/api/v1/query', body: JSON.stringify({ query: leak }), contentType: 'application/json' }],
    ['encoded path', { method: 'GET', path: `/api/v1/%71uery?${form([['query', leak]])}` }],
    ['dot-dot path', { method: 'GET', path: `/api/v1/../v1/query?${form([['query', leak]])}` }],
    ['encoded dot-dot to admin', { method: 'POST', path: '/api/v1/%2e%2e/admin/tsdb/delete_series?match[]=up' }],
    ['double slash', { method: 'GET', path: `//api/v1/query?${form([['query', leak]])}` }],
    ['trailing slash', { method: 'GET', path: `/api/v1/query/?${form([['query', leak]])}` }],
    ['upper case', { method: 'GET', path: `/API/V1/QUERY?${form([['query', leak]])}` }],
    ['encoded slash in label name', { method: 'GET', path: '/api/v1/label/branch%2Fvalues' }],
    ['dot-dot label name', { method: 'GET', path: '/api/v1/label/../../federate/values' }],
    ['federate', { method: 'GET', path: `/federate?${form([['match[]', '{__name__=~".+"}']])}` }],
    ['admin delete', { method: 'POST', path: '/api/v1/admin/tsdb/delete_series?match[]=payments_total' }],
    ['admin snapshot', { method: 'POST', path: '/api/v1/admin/tsdb/snapshot' }],
    ['status config', { method: 'GET', path: '/api/v1/status/config' }],
    ['status flags', { method: 'GET', path: '/api/v1/status/flags' }],
    ['status tsdb', { method: 'GET', path: '/api/v1/status/tsdb' }],
    ['targets', { method: 'GET', path: '/api/v1/targets' }],
    ['targets metadata', { method: 'GET', path: '/api/v1/targets/metadata' }],
    ['lifecycle quit', { method: 'POST', path: '/-/quit' }],
    ['graph UI', { method: 'GET', path: '/graph' }],
    ['absolute-form target', { method: 'GET', path: `http://127.0.0.1/api/v1/query?${form([['query', leak]])}` }],
    ['DELETE method', { method: 'DELETE', path: `/api/v1/query?${form([['query', leak]])}` }],
    ['PUT method', { method: 'PUT', path: '/api/v1/query', body: form([['query', leak]]) }],
    [
      'query_range other branch',
      {
        method: 'GET',
        path: `/api/v1/query_range?${form([
          ['query', leak],
          ['start', String(end - 600)],
          ['end', String(end)],
          ['step', '60'],
        ])}`,
      },
    ],
    ['empty query', { method: 'GET', path: '/api/v1/query?query=' }],
    ['missing query', { method: 'GET', path: '/api/v1/query' }],
    ['overlong query', { method: 'POST', path: '/api/v1/query', body: form([['query', `${'('.repeat(40000)}1${')'.repeat(40000)}`]]) }],
  ];
  for (const [name, req] of transport) out.push({ name, req });
  return out;
}

describe('adversarial corpus against real Prometheus', { timeout: 150_000 }, () => {
  let fx: Fixture;
  before(async () => {
    fx = await startFixture(SCOPED);
  });
  after(async () => {
    await fx?.stop();
  });

  for (const login of SCOPED) {
    test(`${login}: nothing outside the scope, answers identical with the twin`, async () => {
      const truth = CALLERS[login]!;
      const corpus = requests(login, truth, fx.end);
      assert.ok(corpus.length >= 100, `corpus has ${corpus.length} requests`);
      const twin = fx.twins.get(login)!;
      let withData = 0;
      const { other } = others(truth);
      const mustBeEmpty = new Set([
        `query payments_total{branch="${other}"}`,
        `query {branch="${other}"}`,
        `query rate(payments_total{branch="${other}"}[5m])`,
        'query twin_only_fleet_metric',
        'query payments_total{branch=""}',
      ]);
      const statuses = new Map<number, number>();
      const failures: string[] = [];
      for (const { name, req } of corpus) {
        const [a, b] = await Promise.all([rawRequest(fx.truth.proxy.url, req, login), rawRequest(twin.proxy.url, req, login)]);
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        if (a.status >= 500 || b.status >= 500) failures.push(`${name}: 5xx ${a.status}/${b.status} ${a.body.slice(0, 200)}`);
        if (a.json?.status === 'error' && (typeof a.json.errorType !== 'string' || typeof a.json.error !== 'string'))
          failures.push(`${name}: error not in Prometheus's shape`);
        if (name !== 'whoami' && normalise(a) !== normalise(b))
          failures.push(
            `${name}: answer depends on out-of-scope data\n   A: ${normalise(a).slice(0, 300)}\n   B: ${normalise(b).slice(0, 300)}`,
          );
        for (const labels of labelSets(a)) {
          if (labels.branch !== undefined || labels.officer !== undefined || truth.kind === 'aggregate') {
            const ok =
              truth.kind === 'branch'
                ? labels.branch === undefined || truth.branches.includes(labels.branch)
                : truth.kind === 'officer'
                  ? (labels.branch === undefined || labels.branch === truth.branch) &&
                    (labels.officer === undefined || labels.officer === truth.officer)
                  : truth.kind === 'aggregate'
                    ? !labels.branch && !labels.officer && (labels.__name__ === undefined || truth.metrics.includes(labels.__name__))
                    : true;
            if (!ok) failures.push(`${name}: out-of-scope labels ${JSON.stringify(labels)}`);
          }
        }
        const values: unknown = a.json?.data;
        if (name === 'branch values' || name === 'branch values of payments') {
          const allowed = truth.kind === 'branch' ? truth.branches : truth.kind === 'officer' ? [truth.branch] : [];
          for (const v of values as string[]) if (!allowed.includes(v)) failures.push(`${name}: listed branch ${v}`);
        }
        if (name === 'officer values') {
          for (const v of values as string[])
            if (truth.kind !== 'officer' || v !== truth.officer)
              if (truth.kind !== 'branch' || !truth.branches.some((b) => v.startsWith(`${b}-`)))
                failures.push(`officer values: listed ${v}`);
        }
        if (a.status === 200 && labelSets(a).length > 0) withData++;
        // Intersected, never replaced: asking for another branch yields nothing, not one's own data.
        if (mustBeEmpty.has(name) && !(a.status === 200 && Array.isArray(a.json?.data?.result) && a.json.data.result.length === 0))
          failures.push(`${name}: expected an empty answer, got ${a.status} ${a.body.slice(0, 200)}`);
      }
      assert.deepEqual(failures, [], failures.join('\n'));
      // Not vacuous: the honest part of the corpus did return the caller's own data.
      assert.ok(withData >= 10, `only ${withData} answers carried data`);
      // Refusals happened, and all were 4xx.
      assert.ok([...statuses.keys()].some((s) => s >= 400 && s < 500));
      console.log(`${login}: ${corpus.length} requests, statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${withData} with data`);
    });
  }

  test('executive (scope all) sees every branch; unknown and anonymous callers get nothing', async () => {
    const q = {
      method: 'GET',
      path: `/api/v1/query?${form([
        ['query', 'count by (branch) (payments_total)'],
        ['time', String(fx.end)],
      ])}`,
    };
    const exec = await rawRequest(fx.truth.proxy.url, q, 'asha.exec');
    assert.equal(exec.status, 200);
    assert.equal(exec.json.data.result.length, 5);
    const unknown = await rawRequest(fx.truth.proxy.url, q, 'mallory');
    assert.equal(unknown.status, 403);
    const anonymous = await rawRequest(fx.truth.proxy.url, q);
    assert.equal(anonymous.status, 401);
    const noSecret = await rawRequest(fx.truth.proxy.url, q, 'asha.exec', null);
    assert.equal(noSecret.status, 401);
    const wrongSecret = await rawRequest(fx.truth.proxy.url, q, 'asha.exec', 'test-only-shared-secret-0123456780');
    assert.equal(wrongSecret.status, 401);
  });

  test('rules and alerts: values and annotations only where the scope could have computed them', async () => {
    const get = (path: string, login: string) => rawRequest(fx.truth.proxy.url, { method: 'GET', path }, login);
    type A = { labels: Record<string, string>; annotations: Record<string, string>; value?: string };
    const alerts = async (login: string) => (await get('/api/v1/alerts', login)).json.data.alerts as A[];
    const direct = ((await fetch(`${fx.truth.prometheus.url}/api/v1/alerts`).then((r) => r.json())) as { data: { alerts: A[] } }).data
      .alerts;
    const find = (list: A[], name: string, branch?: string) => list.find((a) => a.labels.alertname === name && a.labels.branch === branch);

    // The branch manager: their branch's own alert with its value and label-only text; the fleet's
    // query results and the share of the fleet are withheld; no other branch, no fleet alert.
    const meera = await alerts('meera.bm');
    const own = find(meera, 'BranchPayments', 'BR0001');
    assert.ok(own, JSON.stringify(meera));
    assert.equal(own.value, find(direct, 'BranchPayments', 'BR0001')!.value);
    assert.equal(own.annotations.description, find(direct, 'BranchPayments', 'BR0001')!.annotations.description);
    assert.equal(own.annotations.fleet, undefined);
    assert.equal(own.annotations.busiest, undefined);
    const share = find(meera, 'BranchShareOfFleet', 'BR0001');
    assert.ok(share && share.value === undefined && share.annotations.description === undefined, JSON.stringify(share));
    assert.ok(
      meera.every((a) => a.labels.branch === 'BR0001'),
      JSON.stringify(meera.map((a) => a.labels)),
    );
    assert.ok(
      direct.some((a) => a.annotations.fleet !== undefined && a.value !== undefined),
      'Prometheus itself expands the fleet query',
    );

    // The viewer: fleet alerts only; a value only from the allow-listed aggregates.
    const viewer = await alerts('vikram.viewer');
    assert.equal(find(viewer, 'FleetPayments')?.value, undefined);
    assert.equal(find(viewer, 'FleetPayments')?.annotations.description, undefined);
    assert.equal(find(viewer, 'FleetPayments')?.annotations.summary, 'Payments across the fleet');
    assert.equal(find(viewer, 'FleetSuccessRatio')?.value, find(direct, 'FleetSuccessRatio')!.value);
    assert.equal(find(viewer, 'DatabaseSeen')?.value, undefined);
    assert.ok(viewer.every((a) => !a.labels.branch && !a.labels.officer));

    // The field officer: their own series' alerts, values included.
    const ravi = await alerts('ravi.fo');
    assert.ok(ravi.length > 0 && ravi.every((a) => a.labels.officer === 'BR0001-FO01' && a.value !== undefined), JSON.stringify(ravi));

    // The rules answer says the same, and never an error text.
    const rules = (await get('/api/v1/rules', 'meera.bm')).json.data.groups.flatMap((g: { rules: unknown[] }) => g.rules) as Array<{
      name: string;
      alerts?: A[];
      lastError?: string;
    }>;
    assert.deepEqual(
      rules.find((r) => r.name === 'BranchPayments')?.alerts?.map((a) => a.value),
      [own.value],
    );
    assert.ok(rules.every((r) => r.lastError === undefined));
  });

  test('a branch manager gets their own numbers, exactly as Prometheus has them', async () => {
    const q = `sum(payments_total{branch="BR0001"})`;
    const through = await rawRequest(
      fx.truth.proxy.url,
      {
        method: 'GET',
        path: `/api/v1/query?${form([
          ['query', q],
          ['time', String(fx.end)],
        ])}`,
      },
      'meera.bm',
    );
    const direct = await fetch(
      `${fx.truth.prometheus.url}/api/v1/query?${form([
        ['query', q],
        ['time', String(fx.end)],
      ])}`,
    ).then((r) => r.json() as Promise<any>);
    assert.equal(through.status, 200);
    assert.deepEqual(through.json.data.result, direct.data.result);
    assert.ok(Number(direct.data.result[0].value[1]) > 0);
  });
});
