// Series listings after the rewrite: every label set must lie inside the scope. The rewrite makes
// this true already; a series outside it means a bug, so it is dropped and counted (the caller
// logs it), never shown.
import { seriesInScope, type Scope } from '../scope.ts';

export interface SeriesAnswer {
  status: string;
  data: Array<Record<string, string>>;
}

export function filterSeries(answer: SeriesAnswer, scope: Scope): { answer: SeriesAnswer; dropped: number } {
  const inside = (answer.data ?? []).filter((labels) => seriesInScope(labels, scope));
  return { answer: { ...answer, data: inside }, dropped: (answer.data ?? []).length - inside.length };
}
