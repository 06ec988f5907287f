/**
 * The progress of an operation a view started (attach, snapshot, clone, backup...), as
 * `useOperation` reads it: a bar and what it is doing while it runs, the API's message if it
 * fails, and `done(op)` (if given) once it has succeeded.
 */
import type { ComponentChildren, JSX } from 'preact';
import type { Operation } from '@herd/api';
import { ProgressBar } from './progress-bar.js';

/** Props of {@link OperationStatus}. */
export interface OperationStatusProps {
  /** The operation; nothing is shown while undefined. */
  readonly op: Operation | undefined;
  readonly id: string;
  /** What to show once it has succeeded; nothing by default (the view itself shows the change). */
  readonly done?: (op: Operation) => ComponentChildren;
  /** Renders it as a table row spanning this many columns (and no row when there is nothing to show). */
  readonly row?: number;
}

/** Shows the state of operation `op`. */
export function OperationStatus({ op, id, done, row }: OperationStatusProps) {
  const content = op ? status(op, id, done) : null;
  if (!content || row === undefined) return content;
  return (
    <tr class="row-op">
      <td colSpan={row}>{content}</td>
    </tr>
  );
}

function status(op: Operation, id: string, done: OperationStatusProps['done']): JSX.Element | null {
  if (op.status === 'failed')
    return (
      <p class="op-status error-text" id={id} data-status="failed" role="alert">
        {op.error?.message ?? `${op.kind} failed`}
      </p>
    );
  if (op.status === 'succeeded') {
    const shown = done?.(op);
    return shown ? (
      <p class="op-status" id={id} data-status="succeeded" role="status">
        {shown}
      </p>
    ) : null;
  }
  return (
    <div class="op-status op-running" id={id} data-status={op.status} role="status">
      <ProgressBar value={op.progress} label={`${op.kind} ${op.target.name}`} />
      <span class="muted">
        {op.message} ({Math.round(op.progress)} %)
      </span>
    </div>
  );
}
