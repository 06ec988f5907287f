/** Operations: the latest async jobs with their progress, result or error, reread on operation events. */
import { operationStatuses, type OperationStatus } from '@herd/api';
import { useState } from 'preact/hooks';
import { client } from '../lib/client.js';
import { isOperationEvent } from '../lib/event-filters.js';
import { errorMessage } from '../lib/errors.js';
import { useLive } from '../lib/use-live.js';
import { Notice } from '../components/notice.js';
import { OperationTable } from '../components/operation-row.js';

/** The operations page. */
export function OperationsPage() {
  const [status, setStatus] = useState<OperationStatus | ''>('');
  const ops = useLive(() => client.call('listOperations', { query: { limit: 200, ...(status ? { status } : {}) } }), isOperationEvent, status);
  return (
    <div class="page page-wide">
      <div class="page-head">
        <h1>Operations</h1>
        <label class="inline">
          <span>Status</span>
          <select id="op-status-filter" value={status} onChange={(e) => setStatus(e.currentTarget.value as OperationStatus | '')}>
            <option value="">any</option>
            {operationStatuses.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </label>
      </div>
      {ops.error && <Notice>{errorMessage(ops.error)}</Notice>}
      <div class="card">{ops.data && ops.data.length === 0 ? <p class="muted">No operations.</p> : <OperationTable ops={ops.data ?? []} id="operation-table" />}</div>
    </div>
  );
}
