// Public surface of the scope proxy for the stack and for tests.
export { startScopeProxy, type ScopeProxy, type ScopeProxyOptions } from './server.ts';
export { parsePolicy, loadPolicyFile, resolveCaller, PolicyError, PolicyStore, type Policy, type Caller, type Role } from './policy.ts';
export {
  rewriteQuery,
  rewriteSeriesSelector,
  scopeMatchers,
  scopeSelector,
  seriesInScope,
  alertInScope,
  ScopeError,
  type Scope,
} from './scope.ts';
export { parsePromQL, print, PromQLError, walk, readerStats, useFastReader, type Expr, type Matcher } from './promql.ts';
export {
  Identifier,
  DEFAULT_SECRET_HEADER,
  parseIdentities,
  readIdentities,
  writeIdentities,
  type IdentityMode,
  type IdentityOptions,
  type IdentityBinding,
} from './identity.ts';
export { OPTION_TABLE } from './options.ts';
