import React, { useState } from 'react';
import { lastValueFrom } from 'rxjs';
import { css } from '@emotion/css';
import type { AppPluginMeta, GrafanaTheme2, PluginConfigPageProps, PluginMeta } from '@grafana/data';
import { DataSourcePicker, getBackendSrv } from '@grafana/runtime';
import { Alert, Button, Field, FieldSet, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { datasourceGet, errorMessage } from '../../api/datasource';
import { describeScope, fetchWhoami, type Whoami } from '../../api/whoami';
import type { AppSettings } from '../../settings';
import { testIds } from '../testIds';

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<AppSettings>> {}

type Check =
  | { state: 'idle' }
  | { state: 'running' }
  | { state: 'ok'; who: Whoami; version?: string; versionError?: string }
  | { state: 'failed'; message: string };

/** Asks the scope proxy who we are, and Prometheus behind it for its version. */
export async function checkConnection(datasourceUid: string): Promise<Check> {
  let who: Whoami;
  try {
    who = await fetchWhoami(datasourceUid);
  } catch (e) {
    return { state: 'failed', message: errorMessage(e) };
  }
  try {
    const build = await datasourceGet<{ data?: { version?: string } }>(datasourceUid, 'api/v1/status/buildinfo');
    return { state: 'ok', who, version: build?.data?.version };
  } catch (e) {
    return { state: 'ok', who, versionError: errorMessage(e) };
  }
}

const AppConfig = ({ plugin }: AppConfigProps) => {
  const s = useStyles2(getStyles);
  const { enabled, pinned, jsonData } = plugin.meta;
  const [datasourceUid, setDatasourceUid] = useState<string | undefined>(jsonData?.datasourceUid);
  const [check, setCheck] = useState<Check>({ state: 'idle' });
  const [saveError, setSaveError] = useState<string>();

  const onSubmit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (!datasourceUid) {
      return;
    }
    try {
      await updatePlugin(plugin.meta.id, { enabled, pinned, jsonData: { ...jsonData, datasourceUid } });
      // The app reads its settings when Grafana loads it: reload so the pages see the change.
      window.location.reload();
    } catch (e) {
      setSaveError(errorMessage(e));
    }
  };

  const onCheck = async () => {
    if (!datasourceUid) {
      return;
    }
    setCheck({ state: 'running' });
    setCheck(await checkConnection(datasourceUid));
  };

  return (
    <form onSubmit={onSubmit}>
      <FieldSet label="Scope proxy">
        <Field
          label="Data source"
          description="The Prometheus data source that points at the Paywatch scope proxy. Every page and dashboard reads through it, so each person only sees their own numbers."
        >
          <div data-testid={testIds.appConfig.datasource}>
            <DataSourcePicker
              pluginId="prometheus"
              current={datasourceUid ?? null}
              noDefault
              width={60}
              onChange={(ds) => {
                setDatasourceUid(ds.uid);
                setCheck({ state: 'idle' });
              }}
            />
          </div>
        </Field>

        <div className={s.row}>
          <Button type="submit" data-testid={testIds.appConfig.submit} disabled={!datasourceUid}>
            Save settings
          </Button>
          <Button
            type="button"
            variant="secondary"
            icon="heart-rate"
            data-testid={testIds.appConfig.check}
            disabled={!datasourceUid || check.state === 'running'}
            onClick={onCheck}
          >
            Check connection
          </Button>
        </div>

        <div className={s.result} data-testid={testIds.appConfig.checkResult}>
          {check.state === 'running' && <LoadingPlaceholder text="Asking the scope proxy…" />}
          {check.state === 'ok' && (
            <Alert title="Connected to the scope proxy" severity="success">
              It knows you as <strong>{check.who.login}</strong> ({check.who.role}): {describeScope(check.who.scope)}.{' '}
              {check.version
                ? `Prometheus ${check.version} behind it.`
                : `Prometheus version unknown: ${check.versionError ?? 'not reported'}.`}
            </Alert>
          )}
          {check.state === 'failed' && (
            <Alert title="Connection check failed" severity="error">
              {check.message}
            </Alert>
          )}
          {saveError && (
            <Alert title="Could not save the settings" severity="error">
              {saveError}
            </Alert>
          )}
        </div>
      </FieldSet>

      <FieldSet label="Current settings">
        <dl className={s.settings}>
          <dt>App enabled</dt>
          <dd>{enabled ? 'yes' : 'no'}</dd>
          <dt>Scope proxy data source uid</dt>
          <dd>
            <code>{jsonData?.datasourceUid ?? 'not set'}</code>
          </dd>
        </dl>
      </FieldSet>
    </form>
  );
};

export default AppConfig;

const getStyles = (theme: GrafanaTheme2) => ({
  row: css({ display: 'flex', gap: theme.spacing(1), marginTop: theme.spacing(2) }),
  result: css({ marginTop: theme.spacing(2) }),
  settings: css({
    display: 'grid',
    gridTemplateColumns: 'max-content auto',
    gap: theme.spacing(0.5, 2),
    dt: { color: theme.colors.text.secondary },
    dd: { margin: 0 },
  }),
});

const updatePlugin = async (pluginId: string, data: Partial<PluginMeta<AppSettings>>) => {
  const response = getBackendSrv().fetch({ url: `/api/plugins/${pluginId}/settings`, method: 'POST', data });
  return lastValueFrom(response);
};
