/** A labelled gauge: how much of a capacity is in use. */

/** Shows `used` of `total` with their texts; over 100 % is shown as overcommitted. */
export function Meter({ label, used, total, usedText, totalText, id }: { readonly label: string; readonly used: number; readonly total: number; readonly usedText: string; readonly totalText: string; readonly id: string }) {
  const pct = total > 0 ? (used / total) * 100 : 0;
  return (
    <div class="meter" id={id}>
      <div class="meter-head">
        <span class="meter-label">{label}</span>
        <span class="meter-value">
          {usedText} of {totalText}
          {pct > 100 ? ' (overcommitted)' : ''}
        </span>
      </div>
      <div class="progress" role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={total} aria-valuenow={Math.min(used, total)} aria-valuetext={`${usedText} of ${totalText}`}>
        <div class={`progress-fill${pct > 100 ? ' over' : pct > 80 ? ' high' : ''}`} style={{ width: `${Math.min(100, pct)}%` }} />
      </div>
    </div>
  );
}
