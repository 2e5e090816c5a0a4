/**
 * The event ids a scan of the events log has met, to keep each id's first line only. An id of the
 * canonical form (ev_ and 12 lowercase hex digits: 48 bits, exact as a number) is kept as that
 * number: 300k ids then take about 11 MB of heap rather than 20 MB as strings. Any other id is kept
 * as its string, so two different ids are never taken for one.
 */
const CANONICAL = /^ev_[0-9a-f]{12}$/;

export class SeenIds {
  private readonly numbers = new Set<number>();
  private readonly others = new Set<string>();

  /** True the first time `id` is met, false after. */
  first(id: string): boolean {
    if (CANONICAL.test(id)) {
      const n = Number.parseInt(id.slice(3), 16);
      if (this.numbers.has(n)) return false;
      this.numbers.add(n);
      return true;
    }
    if (this.others.has(id)) return false;
    this.others.add(id);
    return true;
  }

  /** Whether `id` was met. */
  has(id: string): boolean {
    return CANONICAL.test(id) ? this.numbers.has(Number.parseInt(id.slice(3), 16)) : this.others.has(id);
  }
}
