import index from './index.json';
import { formatValue, panelQueries, substitute } from './queries';

describe('panel queries with variables substituted', () => {
  it('writes variables as Grafana does (multi-value branch as a regex alternation)', () => {
    expect(formatValue('BR0001')).toBe('BR0001');
    expect(formatValue(['BR0002', 'BR0003'])).toBe('(BR0002|BR0003)');
    expect(formatValue('a.b')).toBe('a\\\\.b');
    expect(
      substitute(
        'sum(rate(x{branch=~"$branch",officer="$officer"}[$__rate_interval])) + y[$__range] + z[$__interval]',
        {
          branch: ['BR0002', 'BR0003'],
          officer: 'BR0002-FO01',
        }
      )
    ).toBe('sum(rate(x{branch=~"(BR0002|BR0003)",officer="BR0002-FO01"}[1m])) + y[24h] + z[1m]');
  });

  it('covers every query of the index and leaves no variable behind', () => {
    const all = panelQueries(index, { branch: 'BR0001', officer: 'BR0001-FO01' });
    const total = index.dashboards.reduce((n, d) => n + d.panels.reduce((m, p) => m + p.queries.length, 0), 0);
    expect(all).toHaveLength(total);
    for (const q of all) {
      expect([q.uid, q.expr.includes('$')]).toEqual([q.uid, false]);
    }
    const branch = panelQueries(index, { branch: 'BR0001' }, (d) => d.folder === 'branch');
    expect(new Set(branch.map((q) => q.uid))).toEqual(new Set(['paywatch-branch']));
    expect(branch.every((q) => q.roles.includes('branch_manager'))).toBe(true);
  });
});
