// The six Paywatch dashboards, one per audience (one file each in audiences/), as typed builders.
// `npm run dashboards` writes them to src/dashboards/<folder>/<name>.json (the folder is the
// audience's folder in policy/policy.yml, which provisioning mounts per folder) and
// src/dashboards/index.json, the machine-readable list of every panel query.
// src/dashboards/dashboards.test.ts fails when the committed files differ from what this module
// builds.
//
// Queries use only these variables: $datasource (the panel data source), $branch, $officer,
// $__rate_interval, $__range, $__interval. Anything slow over 30 days reads a recording rule
// (docs/metrics.md) instead of raw counters.
import { branch } from './audiences/branch';
import { business } from './audiences/business';
import { withIds, UIDS, type DashboardDef } from './audiences/common';
import { executive } from './audiences/executive';
import { field } from './audiences/field';
import { operations } from './audiences/operations';
import { status } from './audiences/status';

export { APP_HOME, PLUGIN_ID, UIDS, type DashboardDef } from './audiences/common';

export const DASHBOARDS: DashboardDef[] = [
  {
    uid: UIDS.executive,
    title: 'Executive overview',
    folder: 'executive',
    slug: 'executive-overview',
    build: withIds(executive),
  },
  {
    uid: UIDS.business,
    title: 'Business metrics',
    folder: 'business',
    slug: 'business-metrics',
    build: withIds(business),
  },
  { uid: UIDS.branch, title: 'Branch operations', folder: 'branch', slug: 'branch-operations', build: withIds(branch) },
  { uid: UIDS.field, title: 'Field officer', folder: 'field', slug: 'field-officer', build: withIds(field) },
  { uid: UIDS.operations, title: 'Operations', folder: 'operations', slug: 'operations', build: withIds(operations) },
  { uid: UIDS.status, title: 'System status', folder: 'status', slug: 'system-status', build: withIds(status) },
];
