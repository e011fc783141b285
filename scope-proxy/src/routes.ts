// The proxy's whole surface in one table: every endpoint, who may call it, with which methods and
// parameters, and its named handler. Paths match exactly (no decoding, no cleaning, no case
// folding); anything not in the table is refused with 404.
import type { ParamSpec } from './form.ts';
import type { Call, Deps, Endpoint, Reply } from './handler.ts';
import { handleBuildinfo, handleWhoami } from './handlers/info.ts';
import { handleHealthz, handleMetrics } from './handlers/health.ts';
import { handleQuery } from './handlers/query.ts';
import { handleListing } from './handlers/listings.ts';
import { handleMetadata } from './handlers/metadata.ts';
import { handleRules } from './handlers/rules.ts';

export type { Endpoint } from './handler.ts';

export interface Route {
  endpoint: Endpoint;
  /**
   * open: no identity (own metrics and health, for probes); secret: the data source's shared
   * secret only; user: secret plus a caller the policy knows.
   */
  access: 'open' | 'secret' | 'user';
  methods: readonly string[];
  params: ParamSpec;
  handle(call: Call, deps: Deps): Promise<Reply>;
}

const READ = ['GET', 'POST'] as const;
const NONE: ParamSpec = { single: [], multi: [] };
const LISTING: ParamSpec = { single: ['start', 'end', 'limit'], multi: ['match[]'] };

const route = (
  endpoint: Endpoint,
  access: Route['access'],
  methods: readonly string[],
  params: ParamSpec,
  handle: Route['handle'],
): Route => ({ endpoint, access, methods, params, handle });

/** Every endpoint, by exact path. */
export const ROUTES: Readonly<Record<string, Route>> = Object.freeze({
  '/api/v1/query': route('query', 'user', READ, { single: ['query', 'time', 'timeout'], multi: [] }, handleQuery),
  '/api/v1/query_range': route(
    'query_range',
    'user',
    READ,
    { single: ['query', 'start', 'end', 'step', 'timeout'], multi: [] },
    handleQuery,
  ),
  '/api/v1/query_exemplars': route('query_exemplars', 'user', READ, { single: ['query', 'start', 'end'], multi: [] }, handleQuery),
  '/api/v1/series': route('series', 'user', READ, LISTING, handleListing),
  '/api/v1/labels': route('labels', 'user', READ, LISTING, handleListing),
  '/api/v1/metadata': route('metadata', 'user', READ, { single: ['metric', 'limit'], multi: [] }, handleMetadata),
  '/api/v1/rules': route('rules', 'user', READ, { single: ['type'], multi: [] }, handleRules),
  '/api/v1/alerts': route('alerts', 'user', READ, NONE, handleRules),
  // Grafana asks this to detect the Prometheus flavour, sometimes outside a user's request.
  '/api/v1/status/buildinfo': route('buildinfo', 'secret', READ, NONE, handleBuildinfo),
  '/api/v1/paywatch/whoami': route('whoami', 'user', READ, NONE, handleWhoami),
  '/metrics': route('metrics', 'open', ['GET'], NONE, handleMetrics),
  '/healthz': route('healthz', 'open', ['GET'], NONE, handleHealthz),
});

/** The one route with a name in its path. */
export const LABEL_VALUES_ROUTE = route('label_values', 'user', READ, LISTING, handleListing);
const LABEL_VALUES = /^\/api\/v1\/label\/([a-zA-Z_][a-zA-Z0-9_]*)\/values$/;

export function findRoute(path: string): { route: Route; labelName?: string } | undefined {
  const fixed = ROUTES[path];
  if (fixed) return { route: fixed };
  const lv = LABEL_VALUES.exec(path);
  if (lv) return { route: LABEL_VALUES_ROUTE, labelName: lv[1]! };
  return undefined;
}
