import React from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import type { AppRootProps } from '@grafana/data';
import { PLUGIN_BASE_URL, ROUTES } from '../../constants';
import { SettingsContext, type AppSettings } from '../../settings';
const Home = React.lazy(() => import('../../pages/Home'));
const MetricsCatalogue = React.lazy(() => import('../../pages/MetricsCatalogue'));

function App(props: AppRootProps<AppSettings>) {
  return (
    <SettingsContext.Provider value={props.meta.jsonData ?? {}}>
      <Routes>
        <Route path={ROUTES.Home} element={<Home />} />
        <Route path={ROUTES.Metrics} element={<MetricsCatalogue />} />
        <Route path="*" element={<Navigate to={`${PLUGIN_BASE_URL}/${ROUTES.Home}`} replace />} />
      </Routes>
    </SettingsContext.Provider>
  );
}

export default App;
