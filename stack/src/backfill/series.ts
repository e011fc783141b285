// The series of the history while it is being built: each belongs to a family the live stack
// declares (families.ts), carries the labels the live scrape gives it, and keeps its value at the
// times its timeline keeps.
import { familyDefinition, seriesLabels, type FamilyDefinition } from './families.ts';
import type { Family, Series } from './openmetrics.ts';

/** One series: its current value (cumulative for counters) and the samples kept so far. */
export class Track {
  readonly times: number[] = [];
  readonly values: number[] = [];
  value = 0;
  constructor(
    readonly labels: Record<string, string>,
    /** Sample name when it differs from the family's (histograms: x_bucket, x_sum, x_count). */
    readonly name?: string,
  ) {}
  keep(t: number) {
    this.times.push(t);
    this.values.push(this.value);
  }
  series(): Series {
    return { name: this.name, labels: this.labels, times: this.times, values: this.values };
  }
}

/** A histogram series set: cumulative buckets (+Inf last), sum and count. */
export interface HistogramTracks {
  bounds: readonly number[];
  buckets: Track[];
  sum: Track;
  count: Track;
}

/** The series of the history by family, created only through the families' own definitions. */
export class SeriesSet {
  private readonly byFamily = new Map<string, { definition: FamilyDefinition; tracks: Track[] }>();

  constructor(private readonly target: (family: FamilyDefinition) => Record<string, string>) {}

  private family(name: string) {
    let entry = this.byFamily.get(name);
    if (!entry) this.byFamily.set(name, (entry = { definition: familyDefinition(name), tracks: [] }));
    return entry;
  }

  /** A counter or gauge series of `family` with the family's own labels `own`. */
  track(family: string, own: Record<string, string> = {}, extraTarget: Record<string, string> = {}): Track {
    const entry = this.family(family);
    if (entry.definition.type === 'histogram') throw new Error(`${family} is a histogram: use histogram()`);
    const track = new Track(seriesLabels(entry.definition, own, { ...this.target(entry.definition), ...extraTarget }));
    entry.tracks.push(track);
    return track;
  }

  /** The bucket, sum and count series of one histogram series, with the family's buckets. */
  histogram(family: string, own: Record<string, string>): HistogramTracks {
    const entry = this.family(family);
    const bounds = entry.definition.buckets;
    if (entry.definition.type !== 'histogram' || !bounds) throw new Error(`${family} is not a histogram`);
    const labels = seriesLabels(entry.definition, own, this.target(entry.definition));
    const buckets = [...bounds.map(String), '+Inf'].map((le) => new Track({ ...labels, le }, `${family}_bucket`));
    const sum = new Track(labels, `${family}_sum`);
    const count = new Track(labels, `${family}_count`);
    entry.tracks.push(...buckets, sum, count);
    return { bounds, buckets, sum, count };
  }

  /** Every family with the series that kept at least one sample. */
  families(): Family[] {
    return [...this.byFamily.values()]
      .map(({ definition, tracks }) => ({
        name: definition.name,
        type: definition.type,
        help: definition.help,
        series: tracks.filter((track) => track.times.length > 0).map((track) => track.series()),
      }))
      .filter((family) => family.series.length > 0);
  }
}
