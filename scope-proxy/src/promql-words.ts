// The words of PromQL the two readers (promql.ts's grammar path, fast-parser.ts) and reach.ts
// need: which functions and aggregations a query may use, and which functions keep each series.
// Its own module so they can share it without an import cycle at load time.

/**
 * Functions whose output series keep their input's labels, one output per input series (reach.ts:
 * such a call computes each result from the same series it reads, so a scope's results stay in
 * scope).
 */
export const PER_SERIES_FUNCTIONS: ReadonlySet<string> = new Set([
  'abs',
  'acos',
  'acosh',
  'asin',
  'asinh',
  'atan',
  'atanh',
  'avg_over_time',
  'ceil',
  'changes',
  'clamp',
  'clamp_max',
  'clamp_min',
  'cos',
  'cosh',
  'count_over_time',
  'days_in_month',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'deg',
  'delta',
  'deriv',
  'exp',
  'floor',
  'histogram_count',
  'histogram_sum',
  'histogram_fraction',
  'histogram_quantile',
  'histogram_avg',
  'histogram_stddev',
  'histogram_stdvar',
  'hour',
  'idelta',
  'increase',
  'irate',
  'last_over_time',
  'ln',
  'log10',
  'log2',
  'max_over_time',
  'min_over_time',
  'minute',
  'month',
  'predict_linear',
  'present_over_time',
  'quantile_over_time',
  'rad',
  'rate',
  'resets',
  'round',
  'sgn',
  'sin',
  'sinh',
  'sort',
  'sort_desc',
  'sqrt',
  'stddev_over_time',
  'stdvar_over_time',
  'sum_over_time',
  'tan',
  'tanh',
  'timestamp',
  'year',
  'double_exponential_smoothing',
  'mad_over_time',
  'sort_by_label',
  'sort_by_label_desc',
  'first_over_time',
]);

/**
 * Functions a query may call: Prometheus 2.42's set plus newer ones that only transform their
 * arguments. Anything else (notably `info`, which reads `target_info` series behind the query's
 * back) is refused, so a future grammar cannot smuggle in an implicit selector. The per-series
 * ones above, and these, which are not:
 */
export const ALLOWED_FUNCTIONS: ReadonlySet<string> = new Set([
  ...PER_SERIES_FUNCTIONS,
  'absent',
  'absent_over_time',
  'label_replace',
  'label_join',
  'pi',
  'scalar',
  'time',
  'vector',
]);

export const PARAM_AGGREGATIONS = new Set(['topk', 'bottomk', 'quantile', 'count_values', 'limitk', 'limit_ratio']);
export const AGGREGATIONS = new Set(['avg', 'count', 'group', 'max', 'min', 'stddev', 'stdvar', 'sum', ...PARAM_AGGREGATIONS]);
