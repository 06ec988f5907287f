/** One operation as a table row: kind, target, status, progress and what it is doing. */
import type { Operation } from '@herd/api';
import { timeAgo } from '../lib/format.js';
import { Link } from './link.js';
import { ProgressBar } from './progress-bar.js';

/** A row of an operations table. */
export function OperationRow({ op }: { readonly op: Operation }) {
  const target = op.target.type === 'vm' && !op.kind.endsWith('delete') ? <Link href={`/vms/${op.target.name}`}>{op.target.name}</Link> : op.target.name;
  return (
    <tr id={`op-${op.id}`} class={`op-${op.status}`}>
      <td>{op.kind}</td>
      <td>{target}</td>
      <td>
        <span class={`badge op-status-${op.status}`}>{op.status}</span>
      </td>
      <td class="op-progress">
        <ProgressBar value={op.status === 'succeeded' ? 100 : op.progress} label={`${op.kind} ${op.target.name}`} />
      </td>
      <td class="op-message">{op.error ? <span class="error-text">{op.error.message}</span> : op.message}</td>
      <td>
        <time dateTime={op.createdAt}>{timeAgo(op.createdAt)}</time>
      </td>
    </tr>
  );
}

/** A table of operations with a header row. */
export function OperationTable({ ops, id }: { readonly ops: readonly Operation[]; readonly id: string }) {
  return (
    <div class="table-wrap">
      <table class="table" id={id}>
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Target</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Message</th>
            <th scope="col">Started</th>
          </tr>
        </thead>
        <tbody>
          {ops.map((op) => (
            <OperationRow key={op.id} op={op} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
