import React from 'react';
import { MemoryRouter } from 'react-router-dom';
import { type AppRootProps, PluginType } from '@grafana/data';
import { render, screen } from '@testing-library/react';
import { resetServer, serve } from '../../test/grafanaServerMock';
import { testIds } from '../testIds';
import App from './App';

jest.mock('@grafana/runtime', () => require('../../test/runtimeMock').runtimeMock());

function renderAt(path: string) {
  const props = {
    basename: 'a/paywatch-paywatch-app',
    meta: {
      id: 'paywatch-paywatch-app',
      name: 'Paywatch',
      type: PluginType.app,
      enabled: true,
      jsonData: { datasourceUid: 'paywatch-prometheus' },
    },
    query: {},
    path: '',
    onNavChanged: jest.fn(),
  } as unknown as AppRootProps;
  return render(
    <MemoryRouter initialEntries={[path]}>
      <App {...props} />
    </MemoryRouter>
  );
}

// The pages are lazy: load them (and @grafana/ui) once up front so routing is what is timed.
beforeAll(async () => {
  await import('../../pages/Home');
  await import('../../pages/MetricsCatalogue');
}, 120_000);

describe('App routing (Grafana server mocked via backendSrv)', () => {
  beforeEach(() => {
    resetServer();
    serve('/api/v1/paywatch/whoami', { status: 403, data: { error: 'unknown user' } });
    serve('/api/v1/metadata', { data: { status: 'success', data: {} } });
  });

  it('opens Home at /home, with the settings from the app', async () => {
    renderAt('/home');
    expect(await screen.findByTestId(testIds.home.container, {}, { timeout: 15_000 })).toBeInTheDocument();
  });

  it('opens the Metrics catalogue at /metrics', async () => {
    renderAt('/metrics');
    expect(await screen.findByTestId(testIds.metrics.container, {}, { timeout: 15_000 })).toBeInTheDocument();
  });
});
