// Things due later in simulated time (a payment's bank response, the branch confirming cash, a
// reconciliation settling), kept in a binary min-heap by due time; ties keep insertion order so
// a run is reproducible.
export class Schedule<T> {
  private heap: Array<{ at: number; order: number; item: T }> = [];
  private order = 0;

  get size(): number {
    return this.heap.length;
  }

  push(at: number, item: T): void {
    const heap = this.heap;
    heap.push({ at, order: this.order++, item });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  /** Removes and returns, in due order, everything due before `before`. */
  popDue(before: number): Array<{ at: number; item: T }> {
    const out: Array<{ at: number; item: T }> = [];
    while (this.heap.length && this.heap[0]!.at < before) {
      const top = this.heap[0]!;
      const last = this.heap.pop()!;
      if (this.heap.length) {
        this.heap[0] = last;
        this.sink(0);
      }
      out.push({ at: top.at, item: top.item });
    }
    return out;
  }

  private less(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.at < y.at || (x.at === y.at && x.order < y.order);
  }

  private sink(i: number): void {
    const heap = this.heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && this.less(left, smallest)) smallest = left;
      if (right < heap.length && this.less(right, smallest)) smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
      i = smallest;
    }
  }
}
