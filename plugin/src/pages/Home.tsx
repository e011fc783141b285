import React, { useMemo } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { Alert, Badge, Button, Card, LinkButton, LoadingPlaceholder, useStyles2 } from '@grafana/ui';
import { PLUGIN_BASE_URL, ROUTES } from '../constants';
import { describeScope, fetchWhoami, type Whoami } from '../api/whoami';
import dashboardIndex from '../dashboards/index.json';
import { KpiTiles } from '../components/KpiTiles/KpiTiles';
import { NotConfigured } from '../components/NotConfigured';
import { testIds } from '../components/testIds';
import { kpiTilesFor } from '../kpi/status';
import { useSettings } from '../settings';
import { useLoad } from '../utils/useLoad';

interface IndexEntry {
  uid: string;
  title: string;
  folder: string;
  roles: string[];
}

const FOLDER_DESCRIPTIONS: Record<string, string> = {
  executive: "Today's revenue vs target, success rate, availability, critical alerts.",
  business: 'Success rate, volume by channel, revenue trend, failure reasons, reconciliation.',
  branch: 'Collections vs target, field officers, reconciliation, exceptions, LMS postings.',
  field: 'Your collections, OTP success and customer payment status.',
  operations: 'Service health, queues, DB pool, alerts, latency, throughput, errors, resources.',
  status: 'Aggregate status and basic performance.',
};

/** The bundled dashboards meant for this person: their folders, or failing that their role. */
export function dashboardsFor(who: Whoami): IndexEntry[] {
  const all = (dashboardIndex as { dashboards: IndexEntry[] }).dashboards;
  return all.filter(
    (d) =>
      who.dashboards.includes(d.uid) ||
      (who.folders.length > 0 ? who.folders.includes(d.folder) : d.roles.includes(who.role))
  );
}

function Identity({ who }: { who: Whoami }) {
  const s = useStyles2(getStyles);
  return (
    <div className={s.identity} data-testid={testIds.home.identity}>
      <div>
        <div className={s.label}>Signed in as</div>
        <div className={s.strong}>{who.login}</div>
      </div>
      <div>
        <div className={s.label}>Role</div>
        <Badge text={who.role.replace(/_/g, ' ')} color="blue" icon="user" />
      </div>
      <div>
        <div className={s.label}>You see</div>
        <div className={s.strong}>{describeScope(who.scope)}</div>
      </div>
    </div>
  );
}

function HomeBody({ datasourceUid }: { datasourceUid: string }) {
  const s = useStyles2(getStyles);
  const who = useLoad(() => fetchWhoami(datasourceUid), [datasourceUid]);
  const tiles = useMemo(() => (who.value ? kpiTilesFor(who.value.scope) : []), [who.value]);

  if (who.loading) {
    return <LoadingPlaceholder text="Asking the scope proxy who you are…" />;
  }
  if (who.error || !who.value) {
    return (
      <Alert title="Could not tell who you are" severity="error" data-testid={testIds.home.error}>
        <p>{who.error}</p>
        <Button variant="secondary" icon="sync" onClick={who.reload}>
          Try again
        </Button>
      </Alert>
    );
  }
  const dashboards = dashboardsFor(who.value);
  return (
    <>
      <Identity who={who.value} />
      <h3 className={s.heading}>Your dashboards</h3>
      <div data-testid={testIds.home.dashboards}>
        {dashboards.length === 0 ? (
          <p>No Paywatch dashboard is meant for your role.</p>
        ) : (
          dashboards.map((d) => (
            <Card key={d.uid} href={`/d/${d.uid}`}>
              <Card.Heading>{d.title.replace(/^Paywatch · /, '')}</Card.Heading>
              <Card.Description>{FOLDER_DESCRIPTIONS[d.folder] ?? ''}</Card.Description>
              <Card.Tags>
                <Badge text={d.folder} color="purple" />
              </Card.Tags>
            </Card>
          ))
        )}
      </div>
      {who.value.explore && (
        <div className={s.heading}>
          <LinkButton href={`${PLUGIN_BASE_URL}/${ROUTES.Metrics}`} icon="book" variant="secondary">
            Metrics catalogue
          </LinkButton>{' '}
          <LinkButton href="/explore" icon="compass" variant="secondary">
            Explore
          </LinkButton>
        </div>
      )}
      <h3 className={s.heading}>Your KPIs now</h3>
      <KpiTiles datasourceUid={datasourceUid} tiles={tiles} />
    </>
  );
}

function Home() {
  const { datasourceUid } = useSettings();
  return (
    <PluginPage>
      <div data-testid={testIds.home.container}>
        {datasourceUid ? <HomeBody datasourceUid={datasourceUid} /> : <NotConfigured />}
      </div>
    </PluginPage>
  );
}

export default Home;

const getStyles = (theme: GrafanaTheme2) => ({
  identity: css({
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(4),
    padding: theme.spacing(2),
    background: theme.colors.background.secondary,
    borderRadius: theme.shape.radius.default,
  }),
  label: css({
    color: theme.colors.text.secondary,
    fontSize: theme.typography.bodySmall.fontSize,
    marginBottom: theme.spacing(0.5),
  }),
  strong: css({
    fontWeight: theme.typography.fontWeightMedium,
    fontSize: theme.typography.h5.fontSize,
  }),
  heading: css({
    marginTop: theme.spacing(3),
  }),
});
