/** A small bar of how full something is, for table cells (the Meter is the large, labelled one). */

/** Shows `used` of `total`; `label` names it for screen readers. */
export function UsageBar({ used, total, label, id }: { readonly used: number; readonly total: number; readonly label: string; readonly id?: string }) {
  const pct = total > 0 ? (used / total) * 100 : 0;
  return (
    <div class="usage" id={id}>
      <div class="progress" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(Math.min(100, pct))} aria-valuetext={`${Math.round(pct)} %`}>
        <div class={`progress-fill${pct > 90 ? ' over' : pct > 75 ? ' high' : ''}`} style={{ width: `${Math.min(100, pct)}%` }} />
      </div>
      <span class="usage-pct">{Math.round(pct)} %</span>
    </div>
  );
}
