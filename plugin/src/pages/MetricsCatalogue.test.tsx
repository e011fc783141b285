import React from 'react';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import catalogue from '../catalogue/metrics.json';
import { resetServer, serve } from '../test/grafanaServerMock';
import { SettingsContext } from '../settings';
import { testIds } from '../components/testIds';
import MetricsCatalogue, { exploreExpr } from './MetricsCatalogue';

jest.mock('@grafana/runtime', () => require('../test/runtimeMock').runtimeMock());

function renderPage(datasourceUid: string | null = 'paywatch-prometheus') {
  return render(
    <SettingsContext.Provider value={{ datasourceUid: datasourceUid ?? undefined }}>
      <MetricsCatalogue />
    </SettingsContext.Provider>
  );
}

describe('Metrics catalogue page (Grafana server mocked via backendSrv)', () => {
  beforeEach(() => resetServer());

  const whoami = (explore: boolean) =>
    serve('/api/v1/paywatch/whoami', {
      data: { status: 'success', data: { login: 'devi.ops', role: 'devops', scope: { kind: 'all' }, folders: ['operations'], explore } },
    });

  it('lists every metric of the contract with type, labels, meaning and an Explore link', async () => {
    serve('/api/v1/metadata', { data: { status: 'success', data: { payments_total: [{ type: 'counter' }] } } });
    whoami(true);
    renderPage();
    await screen.findAllByRole('link', { name: /explore/i });
    const rows = screen.getAllByTestId(testIds.metrics.row);
    expect(rows).toHaveLength(catalogue.length);
    const payments = rows.find((r) => within(r).queryByText('payments_total'))!;
    expect(payments).toHaveTextContent('counter');
    expect(payments).toHaveTextContent('branchchannelstatus');
    const href = decodeURIComponent(
      within(payments)
        .getByRole('link', { name: /explore/i })
        .getAttribute('href')!
    );
    expect(href).toContain('/explore?');
    expect(href).toContain('"uid":"paywatch-prometheus"');
    expect(href).toContain('rate(payments_total[$__rate_interval])');
    // Live metadata marks what Prometheus does not have right now.
    const lms = rows.find((r) => within(r).queryByText('lms_posting_queue_depth'))!;
    await waitFor(() => expect(lms).toHaveTextContent('not exported right now'));
    expect(payments).not.toHaveTextContent('not exported right now');
  });

  it('offers no Explore link to a role the policy does not let explore (Grafana would refuse the page)', async () => {
    serve('/api/v1/metadata', { data: { status: 'success', data: {} } });
    whoami(false);
    renderPage();
    await waitFor(() => expect(screen.queryByText(/Checking which metrics/)).not.toBeInTheDocument());
    await waitFor(() => expect(screen.getAllByTestId(testIds.metrics.row)).toHaveLength(catalogue.length));
    expect(screen.queryAllByRole('link', { name: /explore/i })).toHaveLength(0);
    expect(screen.queryByText(/Open one in Explore/)).not.toBeInTheDocument();
  });

  it('filters by name, label or meaning', async () => {
    serve('/api/v1/metadata', { data: { status: 'success', data: {} } });
    renderPage();
    await waitFor(() => expect(screen.queryByText(/Checking which metrics/)).not.toBeInTheDocument());
    fireEvent.change(screen.getByTestId(testIds.metrics.search), { target: { value: 'rfid reader' } });
    const names = screen.getAllByTestId(testIds.metrics.row).map((r) => r.querySelector('code')!.textContent);
    expect(names).toContain('rfid_reader_up');
    expect(names).not.toContain('payments_total');
  });

  it('still shows the catalogue, with a warning, when live metadata is refused (403)', async () => {
    serve('/api/v1/metadata', { status: 403, data: { error: 'metadata not allowed for viewer' } });
    renderPage();
    expect(await screen.findByTestId(testIds.metrics.liveWarning)).toHaveTextContent('metadata not allowed for viewer');
    expect(screen.getAllByTestId(testIds.metrics.row)).toHaveLength(catalogue.length);
  });

  it('builds useful first queries per metric type', () => {
    expect(exploreExpr({ name: 'x_seconds', type: 'histogram', labels: [], help: '', source: '' })).toBe(
      'histogram_quantile(0.95, sum by (le) (rate(x_seconds_bucket[$__rate_interval])))'
    );
    expect(exploreExpr({ name: 'db_up', type: 'gauge', labels: [], help: '', source: '' })).toBe('db_up');
  });

  it('asks for configuration when no data source is set', () => {
    renderPage(null);
    expect(screen.getByTestId(testIds.notConfigured)).toBeInTheDocument();
  });
});
