/** A labelled progress bar (0–100). */

/** Shows `value` percent done; `label` names what progresses, for screen readers. */
export function ProgressBar({ value, label }: { readonly value: number; readonly label: string }) {
  const v = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div class="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={v}>
      <div class="progress-fill" style={{ width: `${v}%` }} />
    </div>
  );
}
