import React from 'react';
import { render, screen, waitFor, within } from '@testing-library/react';
import { KPIS, kpi } from '../../../contract/src/kpis';
import { resetServer, serve, servePrometheus } from '../test/grafanaServerMock';
import { SettingsContext } from '../settings';
import { testIds } from '../components/testIds';
import Home from './Home';

jest.mock('@grafana/runtime', () => require('../test/runtimeMock').runtimeMock());

const MEERA = {
  login: 'meera.bm',
  role: 'branch_manager',
  scope: { kind: 'branch', branches: ['BR0001'], officer: null },
  folders: ['branch'],
};

function renderHome(datasourceUid: string | null = 'paywatch-prometheus') {
  return render(
    <SettingsContext.Provider value={{ datasourceUid: datasourceUid ?? undefined }}>
      <Home />
    </SettingsContext.Provider>
  );
}

describe('Home page (Grafana server mocked via backendSrv)', () => {
  beforeEach(() => resetServer());

  it("shows a branch manager's role and scope as the scope proxy tells, their dashboard and their branch KPIs", async () => {
    serve('/api/datasources/proxy/uid/paywatch-prometheus/api/v1/paywatch/whoami', { data: MEERA });
    servePrometheus((expr) =>
      expr === 'branch:payment_success_ratio:rate5m'
        ? [{ labels: { branch: 'BR0001' }, value: 0.9 }]
        : [{ labels: { branch: 'BR0001' }, value: 0.5 }]
    );
    renderHome();

    const identity = await screen.findByTestId(testIds.home.identity);
    expect(within(identity).getByText('meera.bm')).toBeInTheDocument();
    expect(within(identity).getByText('branch manager')).toBeInTheDocument();
    expect(within(identity).getByText('Branch BR0001')).toBeInTheDocument();

    const dashboards = screen.getByTestId(testIds.home.dashboards);
    expect(within(dashboards).getByText('Branch operations')).toBeInTheDocument();
    expect(within(dashboards).queryByText('Executive overview')).not.toBeInTheDocument();
    expect(within(dashboards).getByRole('link')).toHaveAttribute('href', '/d/paywatch-branch');

    const tiles = await screen.findAllByTestId(testIds.home.kpiTile);
    expect(tiles).toHaveLength(4);
    // 90 % success is below the KPI's critical threshold (95 %): red, from the KPI spec.
    expect(tiles[0]).toHaveTextContent('Payment success rate · BR0001');
    expect(tiles[0]).toHaveAttribute('data-color', 'red');
    expect(tiles[0]).toHaveTextContent('90.00%');
  });

  it('shows an executive every KPI of the spec, coloured by its thresholds', async () => {
    serve('/api/v1/paywatch/whoami', {
      data: {
        login: 'asha.exec',
        role: 'executive',
        scope: { kind: 'all', branches: [], officer: null },
        folders: ['executive', 'business', 'status'],
      },
    });
    servePrometheus((expr) => [{ value: expr === kpi('payment_success_rate').series ? 0.995 : 0 }]);
    renderHome();

    const tiles = await screen.findAllByTestId(testIds.home.kpiTile);
    expect(tiles).toHaveLength(KPIS.length);
    expect(tiles[0]).toHaveAttribute('data-color', 'green');
    const dashboards = screen.getByTestId(testIds.home.dashboards);
    expect(
      within(dashboards)
        .getAllByRole('link')
        .map((a) => a.getAttribute('href'))
    ).toEqual(['/d/paywatch-executive', '/d/paywatch-business', '/d/paywatch-status']);
  });

  it('shows a field officer their own collections and only the Field officer dashboard', async () => {
    serve('/api/v1/paywatch/whoami', {
      data: {
        status: 'success',
        data: {
          login: 'ravi.fo',
          role: 'field_officer',
          scope: { kind: 'officer', branches: ['BR0001'], branch: 'BR0001', officer: 'BR0001-FO01' },
          folders: ['field'],
          dashboards: [],
          explore: false,
        },
      },
    });
    servePrometheus((expr) => [{ value: expr.startsWith('sum(officer:field_collection_amount_inr') ? 125000 : 3 }]);
    renderHome();
    expect(await screen.findByText('Field officer BR0001-FO01 (BR0001)')).toBeInTheDocument();
    const dashboards = screen.getByTestId(testIds.home.dashboards);
    expect(
      within(dashboards)
        .getAllByRole('link')
        .map((a) => a.getAttribute('href'))
    ).toEqual(['/d/paywatch-field']);
    const tiles = await screen.findAllByTestId(testIds.home.kpiTile);
    expect(tiles[0]).toHaveTextContent('Collected (last 24 h)');
    expect(tiles[0]).toHaveTextContent('₹');
    expect(screen.queryByRole('link', { name: /explore/i })).not.toBeInTheDocument();
  });

  it('offers DevOps the metrics catalogue and Explore', async () => {
    serve('/api/v1/paywatch/whoami', {
      data: {
        status: 'success',
        data: {
          login: 'devi.ops',
          role: 'devops',
          scope: { kind: 'all' },
          folders: ['operations', 'status'],
          explore: true,
        },
      },
    });
    servePrometheus(() => [{ value: 0 }]);
    renderHome();
    expect(await screen.findByRole('link', { name: /metrics catalogue/i })).toHaveAttribute(
      'href',
      '/a/paywatch-paywatch-app/metrics'
    );
    expect(screen.getByRole('link', { name: /explore/i })).toHaveAttribute('href', '/explore');
    await screen.findAllByTestId(testIds.home.kpiTile);
  });

  it('shows an error, not a guess, when the scope proxy refuses to say who you are (403)', async () => {
    serve('/api/v1/paywatch/whoami', { status: 403, data: { error: 'unknown user mallory' } });
    renderHome();
    const error = await screen.findByTestId(testIds.home.error);
    expect(error).toHaveTextContent('unknown user mallory');
    expect(error).toHaveTextContent('policy/policy.yml');
    expect(screen.queryByTestId(testIds.home.dashboards)).not.toBeInTheDocument();
  });

  it('shows an error when the proxy answers whoami with an unexpected shape', async () => {
    serve('/api/v1/paywatch/whoami', { data: { hello: 'world' } });
    renderHome();
    expect(await screen.findByTestId(testIds.home.error)).toHaveTextContent('without a login and a role');
  });

  it('keeps the identity and explains when the KPI queries fail (Prometheus down, 502)', async () => {
    serve('/api/v1/paywatch/whoami', { data: MEERA });
    servePrometheus(() => ({ status: 502, data: { error: 'prometheus unreachable' } }));
    renderHome();
    expect(await screen.findByTestId(testIds.home.kpiError)).toHaveTextContent('not reachable (502)');
    expect(screen.getByTestId(testIds.home.identity)).toBeInTheDocument();
  });

  it('shows a loading state while the proxy answers', async () => {
    serve('/api/v1/paywatch/whoami', { data: MEERA });
    servePrometheus(() => []);
    renderHome();
    expect(screen.getByText(/Asking the scope proxy who you are/)).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId(testIds.home.identity)).toBeInTheDocument());
  });

  it('asks for configuration when no data source is set', () => {
    renderHome(null);
    expect(screen.getByTestId(testIds.notConfigured)).toBeInTheDocument();
  });
});
