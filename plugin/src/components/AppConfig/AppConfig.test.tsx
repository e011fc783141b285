import React from 'react';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { PluginType } from '@grafana/data';
import { requests, resetServer, serve } from '../../test/grafanaServerMock';
import { testIds } from '../testIds';
import AppConfig, { type AppConfigProps } from './AppConfig';

jest.mock('@grafana/runtime', () => require('../../test/runtimeMock').runtimeMock());

function renderConfig(jsonData: Record<string, string> = { datasourceUid: 'paywatch-prometheus' }) {
  const props = {
    plugin: {
      meta: {
        id: 'paywatch-paywatch-app',
        name: 'Paywatch',
        type: PluginType.app,
        enabled: true,
        pinned: true,
        jsonData,
      },
    },
    query: {},
  } as unknown as AppConfigProps;
  return render(<AppConfig {...props} />);
}

describe('Configuration page (Grafana server mocked via backendSrv)', () => {
  beforeEach(() => resetServer());

  it('shows the scope proxy data source picker and the current settings', () => {
    renderConfig({ datasourceUid: 'paywatch-prometheus' });
    expect(screen.getByRole('group', { name: /scope proxy/i })).toBeInTheDocument();
    expect(screen.getByLabelText('Data source')).toHaveValue('paywatch-prometheus');
    // No Alertmanager data source: Grafana would show every branch's alerts to every Viewer.
    expect(screen.queryByText(/alertmanager/i)).not.toBeInTheDocument();
  });

  it('checks the connection: whoami and Prometheus buildinfo through the data source', async () => {
    serve('/api/datasources/proxy/uid/paywatch-prometheus/api/v1/paywatch/whoami', {
      data: { login: 'admin', role: 'admin', scope: { kind: 'all', branches: [], officer: null }, folders: [] },
    });
    serve('/api/datasources/proxy/uid/paywatch-prometheus/api/v1/status/buildinfo', {
      data: { status: 'success', data: { version: '2.42.0' } },
    });
    renderConfig();
    fireEvent.click(screen.getByTestId(testIds.appConfig.check));
    const result = await screen.findByText(/Connected to the scope proxy/);
    expect(result.parentElement?.parentElement).toHaveTextContent('admin');
    expect(screen.getByTestId(testIds.appConfig.checkResult)).toHaveTextContent('Prometheus 2.42.0');
  });

  it('reports a failed connection check (503 from the proxy)', async () => {
    serve('/api/v1/paywatch/whoami', { status: 503, data: { error: 'upstream down' } });
    renderConfig();
    fireEvent.click(screen.getByTestId(testIds.appConfig.check));
    expect(await screen.findByText(/Connection check failed/)).toBeInTheDocument();
    expect(screen.getByTestId(testIds.appConfig.checkResult)).toHaveTextContent('not reachable (503): upstream down');
  });

  it('saves the chosen data source in the app settings', async () => {
    const reload = jest.fn();
    Object.defineProperty(window, 'location', { value: { ...window.location, reload }, writable: true });
    serve('/api/plugins/paywatch-paywatch-app/settings', { data: {} });
    renderConfig({});
    expect(screen.getByTestId(testIds.appConfig.submit)).toBeDisabled();
    fireEvent.change(screen.getByLabelText('Data source'), { target: { value: 'other-prometheus' } });
    fireEvent.click(screen.getByTestId(testIds.appConfig.submit));
    await waitFor(() => expect(reload).toHaveBeenCalled());
    const post = requests.find((r) => r.url === '/api/plugins/paywatch-paywatch-app/settings')!;
    expect(post.method).toBe('POST');
    expect(post.data).toMatchObject({ enabled: true, jsonData: { datasourceUid: 'other-prometheus' } });
  });

  it('shows an error when saving fails (403)', async () => {
    serve('/api/plugins/paywatch-paywatch-app/settings', { status: 403, data: { message: 'permission denied' } });
    renderConfig();
    fireEvent.click(screen.getByTestId(testIds.appConfig.submit));
    expect(await screen.findByText(/Could not save the settings/)).toBeInTheDocument();
  });
});
