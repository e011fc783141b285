import { describeScope, parseWhoami } from './whoami';

describe('parseWhoami', () => {
  it('reads the shape the scope proxy serves', () => {
    expect(
      parseWhoami({
        login: 'meera.bm',
        role: 'branch_manager',
        scope: { kind: 'branch', branches: ['BR0001'], officer: null },
        folders: ['branch'],
      })
    ).toEqual({
      login: 'meera.bm',
      role: 'branch_manager',
      scope: { kind: 'branch', branches: ['BR0001'], officer: null },
      folders: ['branch'],
      dashboards: [],
      explore: false,
    });
  });

  it("reads the scope proxy's {status, data} answer (docs/scope-proxy.md)", () => {
    const who = parseWhoami({
      status: 'success',
      data: {
        login: 'devi.ops',
        role: 'devops',
        scope: { kind: 'all' },
        folders: ['operations', 'status'],
        dashboards: ['paywatch-executive'],
        explore: true,
        grafanaRole: 'Viewer',
        boundBy: 'person',
        policy: { digest: 'x', loadedAt: '2026-11-23T07:00:00Z' },
      },
    });
    expect(who).toMatchObject({ login: 'devi.ops', role: 'devops', explore: true, dashboards: ['paywatch-executive'] });
    expect(who.scope).toEqual({ kind: 'all', branches: [], officer: null });
  });

  it('accepts a single branch and an officer', () => {
    const who = parseWhoami({
      status: 'success',
      data: {
        login: 'ravi.fo',
        role: 'field_officer',
        scope: { kind: 'officer', branch: 'BR0001', officer: 'BR0001-FO01' },
      },
    });
    expect(who.scope).toEqual({ kind: 'officer', branches: ['BR0001'], officer: 'BR0001-FO01' });
    expect(describeScope(who.scope)).toBe('Field officer BR0001-FO01 (BR0001)');
  });

  it.each([
    [null, /not a JSON object/],
    [{ role: 'viewer', scope: { kind: 'aggregate' } }, /login and a role/],
    [{ login: 'x', role: 'viewer', scope: { kind: 'everything' } }, /unknown scope "everything"/],
  ])('refuses an answer it does not understand: %j', (body, message) => {
    expect(() => parseWhoami(body)).toThrow(message);
  });

  it('describes every scope in words', () => {
    expect(describeScope({ kind: 'all', branches: [], officer: null })).toBe('All branches');
    expect(describeScope({ kind: 'aggregate', branches: [], officer: null })).toMatch(/aggregate/);
    expect(describeScope({ kind: 'branch', branches: ['BR0002', 'BR0003'], officer: null })).toBe(
      'Branches BR0002, BR0003'
    );
  });
});
