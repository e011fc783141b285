import React from 'react';
import { Alert, LinkButton } from '@grafana/ui';
import { CONFIG_URL } from '../constants';
import { testIds } from './testIds';

export function NotConfigured() {
  return (
    <Alert title="No data source configured" severity="warning" data-testid={testIds.notConfigured}>
      <p>
        Paywatch reads every number through the scope proxy. Choose its Prometheus data source on the Configuration
        page.
      </p>
      <LinkButton href={CONFIG_URL} icon="cog" variant="secondary">
        Open configuration
      </LinkButton>
    </Alert>
  );
}
