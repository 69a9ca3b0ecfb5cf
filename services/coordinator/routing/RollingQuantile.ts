/**
 * Quantiles over a rolling time window in bounded memory: one sparse
 * log-scale histogram per time slot (per minute for an hour by default), in a
 * ring. A value lands in a bin 5 % wide, so a quantile is exact to about 5 %;
 * memory is at most slots × bins no matter how many values arrive.
 */
export class RollingQuantile {
  private static readonly growth = 1.05;
  private static readonly minValue = 1e-4;
  private readonly slots: { id: number; bins: Map<number, number>; count: number }[] = [];

  constructor(
    private readonly opts: { windowMs?: number; slotMs?: number; now?: () => number } = {},
  ) {}

  private get slotMs() {
    return this.opts.slotMs ?? 60_000;
  }
  private get slotCount() {
    return Math.ceil((this.opts.windowMs ?? 3_600_000) / this.slotMs);
  }
  private currentSlotId() {
    return Math.floor((this.opts.now ?? Date.now)() / this.slotMs);
  }

  observe(value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    const id = this.currentSlotId();
    const index = ((id % this.slotCount) + this.slotCount) % this.slotCount;
    let slot = this.slots[index];
    if (!slot || slot.id !== id) {
      slot = { id, bins: new Map(), count: 0 };
      this.slots[index] = slot;
    }
    const bin = value <= RollingQuantile.minValue ? 0 : Math.ceil(Math.log(value / RollingQuantile.minValue) / Math.log(RollingQuantile.growth));
    slot.bins.set(bin, (slot.bins.get(bin) ?? 0) + 1);
    slot.count += 1;
  }

  /** The q-quantile (0..1) of the values in the window; undefined when none. */
  quantile(q: number): number | undefined {
    const oldest = this.currentSlotId() - this.slotCount + 1;
    const merged = new Map<number, number>();
    let total = 0;
    for (const slot of this.slots) {
      if (!slot || slot.id < oldest) continue;
      total += slot.count;
      for (const [bin, n] of slot.bins) merged.set(bin, (merged.get(bin) ?? 0) + n);
    }
    if (total === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * total));
    let seen = 0;
    for (const bin of [...merged.keys()].sort((a, b) => a - b)) {
      seen += merged.get(bin)!;
      if (seen >= rank) return RollingQuantile.minValue * RollingQuantile.growth ** bin;
    }
    return undefined;
  }
}
