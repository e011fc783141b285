// What the page tests replace in @grafana/runtime: backendSrv (the Grafana server mock), the
// PluginPage chrome, and the data source picker (which needs a running Grafana's registry).
import React from 'react';
import { backendSrv } from './grafanaServerMock';

export const runtimeMock = () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => backendSrv,
  PluginPage: ({ children }: { children: React.ReactNode }) => <div>{children}</div>,
  DataSourcePicker: ({ current, onChange }: { current: string | null; onChange: (ds: { uid: string }) => void }) => (
    <select aria-label="Data source" value={current ?? ''} onChange={(e) => onChange({ uid: e.currentTarget.value })}>
      <option value="">Choose</option>
      <option value="paywatch-prometheus">Paywatch</option>
      <option value="other-prometheus">Other Prometheus</option>
    </select>
  ),
});
