/** A small bar of how full something is, for table cells (the Meter is the large, labelled one). */

/**
 * Shows how full something is: `used` against `used + free`, as `df` counts, so that space
 * reserved for root (often 5 % or more of a filesystem) does not hide how close it is to full.
 */
export function UsageBar({ used, free, label, id }: { readonly used: number; readonly free: number; readonly label: string; readonly id?: string }) {
  const pct = used + free > 0 ? (used / (used + free)) * 100 : 0;
  return (
    <div class="usage" id={id}>
      <div class="progress" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(Math.min(100, pct))} aria-valuetext={`${Math.round(pct)} %`}>
        <div class={`progress-fill${pct > 90 ? ' over' : pct > 75 ? ' high' : ''}`} style={{ width: `${Math.min(100, pct)}%` }} />
      </div>
      <span class="usage-pct">{Math.round(pct)} %</span>
    </div>
  );
}
