/**
 * Host indices ordered by a bound on the score each host can reach, highest first, equal bounds
 * by host name (as ties between scores are broken), kept in order as bounds change. A ClaimLedger
 * walks it to stop a placement early.
 */
export class HostRanking {
  /** Host indices, highest bound first. */
  readonly order: Int32Array;
  /** The bound of each host, by host index. */
  readonly bounds: Float64Array;
  /** Each host's place in name order (UTF-16 code units), by host index. */
  readonly nameRank: Int32Array;

  /** Ranks the hosts named `names` (unique), host i by `boundOf(i)`. */
  constructor(names: readonly string[], boundOf: (host: number) => number) {
    const n = names.length;
    this.nameRank = new Int32Array(n);
    Int32Array.from({ length: n }, (_, i) => i)
      .sort((a, b) => (names[a]! < names[b]! ? -1 : 1))
      .forEach((host, rank) => (this.nameRank[host] = rank));
    this.bounds = Float64Array.from({ length: n }, (_, i) => boundOf(i));
    this.order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => this.#compare(a, b));
  }

  /** Sets a host's bound and moves it to its place (two native moves of the order array). */
  update(host: number, bound: number): void {
    const n = this.order.length;
    const at = this.#position(host, n);
    this.order.copyWithin(at, at + 1, n);
    this.bounds[host] = bound;
    const to = this.#position(host, n - 1);
    this.order.copyWithin(to + 1, to, n - 1);
    this.order[to] = host;
  }

  /** Where `host` is (or would go) among the first `n` entries: a binary search. */
  #position(host: number, n: number): number {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#compare(this.order[mid]!, host) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #compare(a: number, b: number): number {
    return this.bounds[b]! - this.bounds[a]! || this.nameRank[a]! - this.nameRank[b]!;
  }
}
