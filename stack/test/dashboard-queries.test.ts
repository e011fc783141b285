// Every panel query of every bundled dashboard, with its variables substituted as Grafana does,
// run through the scope proxy as the people of policy/policy.yml, against a real Prometheus that
// scrapes the real exporters reading the simulator's database (the local stack, in-process, small).
//
// - The roles a dashboard is for get data on its panels.
// - A branch manager who puts another branch in $branch, and a field officer who puts another
//   officer in $officer, get nothing of it. The oracle does not trust the proxy's idea of scope:
//   the answer with another branch's code must equal, value for value, the answer with a branch
//   that does not exist at all. Any difference would be that branch's data showing through.
// - The aggregate-only viewer, on the dashboards not meant for it, gets exactly what Prometheus
//   answers for queries that read only the aggregate series policy.yml allows it, and nothing from
//   every other query.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { parsePromQL, walk } from '@paywatch/scope-proxy';
import { SERVER_RULES } from '@paywatch/contract';
import { panelQueries, type PanelQuery, type QueryIndex, type Variables } from '../../plugin/src/dashboards/queries.ts';
import { DEMO_PROXY_SECRET } from '../src/config.ts';
import { repoRoot } from '../src/paths.ts';
import { consoleProgress, startStack, type RunningStack } from '../src/stack.ts';
import { stackTestConfig, waitForData } from './support/running-stack.ts';

const index = JSON.parse(readFileSync(join(repoRoot, 'plugin', 'src', 'dashboards', 'index.json'), 'utf8')) as QueryIndex;

/** Who plays each role (policy/policy.yml) and the variables their dashboards are opened with. */
const PEOPLE: Record<string, { login: string; vars: Variables }> = {
  executive: { login: 'asha.exec', vars: {} },
  finance: { login: 'farhan.fin', vars: {} },
  branch_manager: { login: 'meera.bm', vars: { branch: 'BR0001' } },
  cashier: { login: 'kavya.cashier', vars: { branch: 'BR0001' } },
  field_officer: { login: 'ravi.fo', vars: { officer: 'BR0001-FO01' } },
  devops: { login: 'devi.ops', vars: {} },
  viewer: { login: 'vikram.viewer', vars: {} },
  admin: { login: 'admin', vars: { branch: 'BR0001', officer: 'BR0001-FO01' } },
};

/**
 * Panels that may be empty with the data a short run has, each with why. Everything else must
 * show data to the roles its dashboard is for.
 */
const MAY_BE_EMPTY: Record<string, string> = {
  'Active critical alerts': 'lists firing critical alerts; a healthy demo has none',
  'Active alerts': 'lists firing alerts; a healthy demo may have none',
  'Branches with overdue reconciliations or exceptions': 'lists only branches with something overdue; there may be none',
  'Replication lag': 'the demo database has no standby (pg_stat_replication has no rows)',
  Checkpoints:
    'the embedded PGlite (PostgreSQL 18) has none of the pg_stat_bgwriter checkpoint columns postgres_exporter 0.11 reads, so the local stack runs it without its bgwriter collector; a real server up to 16 has them',
  'Application pools: connections':
    "the embedded PGlite serves every connection from one standalone backend, so pg_stat_activity shows no application's connections (paywatch_app_pool_stats_available 0); on a real server the pool exporter reports them (exporters/test/values.test.ts)",
  "On track for today's target": 'projects from the same weekday of the last 4 weeks; a 2-day history has none',
  'Mandate registration success':
    'a few registrations a branch each day, answered minutes (UPI AutoPay) to hours (NACH) later: a short run may have none answered in its hour',
  'Branches with the lowest mandate registration success': 'the same registrations as "Mandate registration success", by branch',
  'Mandate registration success by channel': 'the same registrations as "Mandate registration success", by channel',
  'Auto-debit success':
    'the NACH and UPI AutoPay batch of the last 24 h: none is presented on Sundays, so a run from Sunday morning to Monday 05:00 IST has none',
  'Auto-debit success by channel': 'the same debits as "Auto-debit success", by channel',
  'Branches with the lowest auto-debit success': 'the same debits as "Auto-debit success", by branch',
  'Reversals by reason (last 24 h)':
    'reversals arrive at T+1 (NACH/AutoPay returns) and the simulated history writes none, so a short run may have none yet',
};

interface Answer {
  status: number;
  /** Series in the answer, each as its labels and values: comparable with deepEqual. */
  series: Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;
}

describe('every dashboard panel query through the scope proxy, against Prometheus fed by the exporters', () => {
  let work: string;
  let stack: RunningStack;
  let at: number;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'paywatch-dashboards-'));
    // The live simulation in weekday working hours (stackTestConfig), so every panel has the day's
    // events to show whatever the hour of the run; the history still ends now.
    const config = await stackTestConfig({
      PAYWATCH_DATA_DIR: join(work, 'data'),
      PAYWATCH_BRANCHES: '4',
      PAYWATCH_OFFICERS: '3',
      PAYWATCH_BACKFILL_DAYS: '2',
      PAYWATCH_GRAFANA: '0',
    });
    // A busy small fleet, so every 5-minute rate has events within a minute of starting.
    config.speed = 20;
    config.paymentsPerBranch = 5000;
    const lines: string[] = [];
    stack = await startStack(
      config,
      consoleProgress((line) => lines.push(line)),
    );
    const prometheus = stack.urls.prometheus!;
    // Live data behind every kind of panel: the recording rules of payments (by branch) and the
    // officers' collections, the probes, and the exporters' gauges.
    // The people below read BR0001 and BR0001-FO01: wait for the rules to have evaluated theirs.
    await waitForData(prometheus, [
      'branch:payment_success_ratio:rate5m{branch="BR0001"}',
      'branch:payment_actionable_failures:increase1h{branch="BR0001"}',
      // The branch's failure breakdown has something to show only once BR0001 has had a failure.
      'sum(increase(payment_failures_total{branch="BR0001"}[1h])) > 0',
      'officer:field_collections:increase1d{officer="BR0001-FO01"}',
      'officer:field_collection_amount_inr:increase1d{officer="BR0001-FO01"}',
      'paywatch:availability:ratio_avg5m',
      'lms_posting_queue_depth',
      'paywatch:api_request_duration_seconds:p95_5m',
      // The error budgets: their group evaluates every 2 minutes, the first time up to 2 minutes
      // after Prometheus starts, and the history's last budget is older than the 5-minute lookback.
      'paywatch:slo_error_budget_remaining:ratio30d',
      // The machines and the database server: postgres_exporter connected, the host rules evaluated.
      'pg_up{job="postgres"} == 1',
      `${SERVER_RULES.cpu}`,
      `${SERVER_RULES.cacheHit}`,
    ]);
    // Every query is evaluated at one instant: after the data above exists, and far enough in the
    // past that no scrape still in flight can change an answer between two compared queries.
    const ready = Math.floor(Date.now() / 1000);
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    at = ready + 5;
  });

  after(async () => {
    await stack?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** A panel query as Grafana sends it: instant, or a range over the last hour. */
  async function ask(login: string, query: PanelQuery): Promise<Answer> {
    return answer(`${stack.urls.scopeProxy}/api/v1`, query, { 'X-Grafana-User': login, 'X-Paywatch-Proxy-Secret': DEMO_PROXY_SECRET });
  }

  async function answer(api: string, query: PanelQuery, headers: Record<string, string> = {}): Promise<Answer> {
    const body = new URLSearchParams({ query: query.expr });
    if (query.instant) body.set('time', String(at));
    else {
      body.set('start', String(at - 3600));
      body.set('end', String(at));
      body.set('step', '60');
    }
    const response = await fetch(`${api}/${query.instant ? 'query' : 'query_range'}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    const json = (await response.json()) as {
      data?: {
        resultType: string;
        result: Array<{ metric: Record<string, string>; value?: [number, string]; values?: Array<[number, string]> }>;
      };
    };
    const result = json.data?.result ?? [];
    const series = result
      .map((s) => ({ metric: s.metric, values: s.values ?? (s.value ? [s.value] : []) }))
      .sort((a, b) => JSON.stringify(a.metric).localeCompare(JSON.stringify(b.metric)));
    return { status: response.status, series };
  }

  const hasData = (answer: Answer) => answer.series.some((s) => s.values.some(([, v]) => v !== 'NaN'));

  test('the roles each dashboard is for get data on its panels', async () => {
    let asked = 0;
    for (const dashboard of index.dashboards) {
      for (const role of dashboard.roles) {
        const person = PEOPLE[role];
        assert.ok(person, `policy role ${role} has someone in this test`);
        const queries = panelQueries(index, person.vars, (d) => d.uid === dashboard.uid);
        const empty = new Set<string>();
        const withData = new Set<string>();
        for (const query of queries) {
          const answer = await ask(person.login, query);
          asked++;
          assert.equal(answer.status, 200, `${dashboard.uid} "${query.panelTitle}" ${query.refId} as ${person.login}: ${query.expr}`);
          (hasData(answer) ? withData : empty).add(query.panelTitle);
        }
        const emptyPanels = [...empty].filter((title) => !withData.has(title) && !(title in MAY_BE_EMPTY));
        assert.deepEqual(emptyPanels, [], `${dashboard.uid} as ${person.login} (${role}): panels without data`);
      }
    }
    assert.ok(asked > 200, `asked ${asked} panel queries`);
  });

  test('DevOps reads every database-server and resource panel of the Operations dashboard through the scope proxy', async () => {
    const operations = (d: QueryIndex['dashboards'][number]) => d.uid === 'paywatch-operations';
    const server = new RegExp(`\\b(pg_|node_|${Object.values(SERVER_RULES).join('|')})`);
    const queries = panelQueries(index, PEOPLE.devops!.vars, operations).filter((q) => server.test(q.expr));
    const titles = new Map<string, boolean>();
    for (const query of queries) {
      const answer = await ask(PEOPLE.devops!.login, query);
      assert.equal(answer.status, 200, `"${query.panelTitle}" ${query.refId}: ${query.expr}`);
      titles.set(query.panelTitle, (titles.get(query.panelTitle) ?? false) || hasData(answer));
    }
    // The database server row (10 panels) and the resources row (5), not a vacuous pass.
    assert.ok(titles.size >= 15, `${titles.size} database-server and resource panels: ${[...titles.keys()].join(', ')}`);
    const empty = [...titles].filter(([title, data]) => !data && !(title in MAY_BE_EMPTY)).map(([title]) => title);
    assert.deepEqual(empty, [], 'database-server and resource panels without data for devi.ops');
  });

  test("a branch manager who types another branch into $branch gets nothing of that branch's", async () => {
    const branchDashboard = (d: QueryIndex['dashboards'][number]) => d.uid === 'paywatch-branch';
    const other = panelQueries(index, { branch: 'BR0001' }, branchDashboard);
    const nowhere = panelQueries(index, { branch: 'BR9999' }, branchDashboard);
    const owner = new Map<string, boolean>();
    for (const [i, query] of other.entries()) {
      // sunil.bm runs BR0002 and BR0003; BR0001 is meera.bm's.
      const attempt = await ask('sunil.bm', query);
      const baseline = await ask('sunil.bm', nowhere[i]!);
      assert.ok(attempt.status < 500, `${query.expr}: ${attempt.status}`);
      assert.deepEqual(
        attempt,
        baseline,
        `"${query.panelTitle}" ${query.refId}: BR0001 in $branch changed sunil.bm's answer: ${query.expr}`,
      );
      for (const s of attempt.series)
        assert.ok(!s.metric.branch || ['BR0002', 'BR0003'].includes(s.metric.branch), `series of ${s.metric.branch} reached sunil.bm`);
      owner.set(query.panelTitle, (owner.get(query.panelTitle) ?? false) || hasData(await ask('meera.bm', query)));
    }
    // The test means something: the same queries do show BR0001's numbers to its own manager.
    const shown = [...owner].filter(([, data]) => data).length;
    assert.ok(shown >= owner.size - Object.keys(MAY_BE_EMPTY).length, `meera.bm sees BR0001 on ${shown} of ${owner.size} panels`);
  });

  test("a field officer who types another officer into $officer gets nothing of that officer's", async () => {
    const fieldDashboard = (d: QueryIndex['dashboards'][number]) => d.uid === 'paywatch-field';
    const other = panelQueries(index, { officer: 'BR0001-FO01' }, fieldDashboard);
    const nowhere = panelQueries(index, { officer: 'BR9999-FO99' }, fieldDashboard);
    const unseen: string[] = [];
    for (const [i, query] of other.entries()) {
      // anita.fo is BR0002-FO01; BR0001-FO01 is ravi.fo.
      const attempt = await ask('anita.fo', query);
      assert.ok(attempt.status < 500, `${query.expr}: ${attempt.status}`);
      assert.deepEqual(
        attempt,
        await ask('anita.fo', nowhere[i]!),
        `"${query.panelTitle}" ${query.refId}: BR0001-FO01 in $officer changed anita.fo's answer: ${query.expr}`,
      );
      for (const s of attempt.series)
        assert.ok(!s.metric.officer || s.metric.officer === 'BR0002-FO01', `series of ${s.metric.officer} reached anita.fo`);
      if (!hasData(await ask('ravi.fo', query))) unseen.push(query.expr);
    }
    assert.deepEqual(unseen, [], 'ravi.fo sees his own numbers on every query of his dashboard');
  });

  test('the aggregate-only viewer gets its allowed aggregates and nothing else from the dashboards that are not for it', async () => {
    const allowed = new Set(
      (parse(readFileSync(join(repoRoot, 'policy', 'policy.yml'), 'utf8')) as { aggregate_metrics: string[] }).aggregate_metrics,
    );
    /** The metric names a query reads, by the official grammar. */
    const metrics = (expr: string) => {
      const names = new Set<string>();
      walk(parsePromQL(expr), (node) => {
        if (node.kind === 'selector') names.add(node.matchers.find((m) => m.name === '__name__')?.value ?? '');
      });
      return [...names];
    };
    let aggregateOnly = 0;
    let refused = 0;
    for (const query of panelQueries(index, { branch: 'BR0001', officer: 'BR0001-FO01' }, (d) => !d.roles.includes('viewer'))) {
      const viewer = await ask('vikram.viewer', query);
      assert.ok(viewer.status < 500, `${query.expr}: ${viewer.status}`);
      if (metrics(query.expr).every((name) => allowed.has(name))) {
        aggregateOnly++;
        assert.deepEqual(
          viewer,
          await answer(`${stack.urls.prometheus}/api/v1`, query),
          `the viewer reads its aggregate ${query.expr} as Prometheus answers it`,
        );
      } else {
        refused++;
        // Nothing: refused, empty, or a constant the query itself supplies (`or vector(0)`).
        const constantOnly = viewer.series.every(
          (s) => Object.keys(s.metric).length === 0 && s.values.every(([, v]) => v === '0' || v === 'NaN'),
        );
        assert.ok(
          viewer.status >= 400 || constantOnly,
          `${query.uid} "${query.panelTitle}" answered the viewer: ${query.expr} -> ${JSON.stringify(viewer.series).slice(0, 300)}`,
        );
      }
    }
    assert.ok(aggregateOnly > 5 && refused > 50, `${aggregateOnly} aggregate-only and ${refused} other queries`);
  });
});
