// Calls through Grafana's data source proxy (/api/datasources/proxy/uid/<uid>/…), the same path
// panels use: Grafana adds the signed-in user's header and the proxy's shared secret, so the scope
// proxy answers as it would for that person's dashboards.
import { lastValueFrom } from 'rxjs';
import { getBackendSrv, type FetchError } from '@grafana/runtime';

export function datasourceUrl(datasourceUid: string, path: string): string {
  return `/api/datasources/proxy/uid/${encodeURIComponent(datasourceUid)}/${path.replace(/^\//, '')}`;
}

/** A request failure turned into one sentence a person can act on. */
export function errorMessage(error: unknown): string {
  const e = error as Partial<FetchError> & { message?: string };
  const body = e?.data as { error?: string; message?: string } | string | undefined;
  const detail = typeof body === 'string' ? body : body?.error || body?.message || e?.statusText || e?.message || '';
  // Grafana's data proxy never relays an upstream 401: it answers 400 "Authentication to data
  // source failed" instead (so the browser is not logged out). The scope proxy answers 401 only
  // for a wrong shared secret or a missing or invalid identity; who is not in the policy, or not
  // bound to their Grafana user, gets 403 with the reason, which Grafana relays.
  if (e?.status === 400 && /Authentication to data source failed/i.test(detail)) {
    return 'Grafana could not identify you to the scope proxy (Grafana answered "Authentication to data source failed"): the data source\'s shared secret may be wrong, or Grafana sent no user. Ask an administrator to check the Paywatch data source.';
  }
  switch (e?.status) {
    case 401:
    case 403:
      return `The scope proxy refused the request (${e.status})${detail ? `: ${detail}` : ''}. Ask an administrator to add you to policy/policy.yml and run access sync.`;
    case 404:
      return `Not found (404)${detail ? `: ${detail}` : ''}. Is the configured data source the Paywatch scope proxy?`;
    case 502:
    case 503:
    case 504:
      return `The scope proxy or Prometheus is not reachable (${e.status})${detail ? `: ${detail}` : ''}.`;
    default:
      return detail || (e?.status ? `Request failed with HTTP ${e.status}` : 'Request failed');
  }
}

export async function datasourceGet<T = unknown>(
  datasourceUid: string,
  path: string,
  params?: Record<string, string>
): Promise<T> {
  const response = await lastValueFrom(
    getBackendSrv().fetch<T>({
      url: datasourceUrl(datasourceUid, path),
      method: 'GET',
      params,
      showErrorAlert: false,
      showSuccessAlert: false,
    })
  );
  return response.data;
}

interface PromVectorResponse {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** A Prometheus instant query through the data source: one sample per series. */
export async function instantQuery(datasourceUid: string, expr: string): Promise<Sample[]> {
  const body = await datasourceGet<PromVectorResponse>(datasourceUid, 'api/v1/query', { query: expr });
  if (body?.status !== 'success' || !body.data) {
    throw new Error(body?.error || 'Prometheus answered without data');
  }
  if (body.data.resultType === 'scalar') {
    const v = body.data.result as unknown as [number, string];
    return [{ labels: {}, value: Number(v[1]) }];
  }
  return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
}
