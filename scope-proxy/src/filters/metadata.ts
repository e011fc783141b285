// Metadata (names, types, help texts) only for the metrics the caller can query: `visible` is the
// aggregate allow-list, or the metric names Prometheus lists under the caller's scope selector.
export interface MetadataAnswer {
  status: string;
  data?: Record<string, unknown>;
}

export function filterMetadata(answer: MetadataAnswer, visible: ReadonlySet<string>): MetadataAnswer {
  return { ...answer, data: Object.fromEntries(Object.entries(answer.data ?? {}).filter(([name]) => visible.has(name))) };
}
