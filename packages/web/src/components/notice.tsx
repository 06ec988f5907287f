/** A message box for errors and confirmations, announced to screen readers. */
import type { ComponentChildren } from 'preact';

/** Shows `children` as an error (role alert) or an informational note (role status). */
export function Notice({ kind = 'error', children, id, onDismiss }: { readonly kind?: 'error' | 'info'; readonly children: ComponentChildren; readonly id?: string; readonly onDismiss?: () => void }) {
  return (
    <div class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'} id={id}>
      <span>{children}</span>
      {onDismiss && (
        <button type="button" class="link-button" onClick={onDismiss} aria-label="Dismiss">
          ×
        </button>
      )}
    </div>
  );
}
