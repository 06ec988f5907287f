/**
 * A VM's snapshots as a tree: each one under the snapshot it was taken on top of, the current
 * one (the VM runs on top of it) marked. Revert and delete ask first; revert says what happens
 * to a running VM, which depends on whether the snapshot saved memory.
 */
import type { Snapshot, Vm } from '@herd/api';
import { dateTime, timeAgo } from '../../lib/format.js';
import { ConfirmButton } from '../confirm-button.js';

/** Props of {@link SnapshotTree}. */
export interface SnapshotTreeProps {
  readonly vm: Vm;
  readonly snapshots: readonly Snapshot[];
  readonly onRevert: (s: Snapshot) => void;
  readonly onDelete: (s: Snapshot) => void;
  /** Disables the actions while one is being asked for. */
  readonly busy: boolean;
  /** Leaves out revert and delete (the user's role does not allow them). */
  readonly readOnly?: boolean;
}

/** Children of each snapshot by parent name; `''` holds the roots (and orphans, whose parent is gone). */
function childrenOf(snapshots: readonly Snapshot[]): ReadonlyMap<string, readonly Snapshot[]> {
  const names = new Set(snapshots.map((s) => s.name));
  const map = new Map<string, Snapshot[]>();
  for (const s of snapshots) {
    const parent = s.parent !== null && names.has(s.parent) ? s.parent : '';
    map.set(parent, [...(map.get(parent) ?? []), s]);
  }
  return map;
}

function revertQuestion(vm: Vm, s: Snapshot): string {
  const memory = s.withMemory ? `this one did, so ${vm.name} comes back ${s.vmState} where it was` : `this one did not, so ${vm.name} is left stopped`;
  return `Revert ${vm.name} to ${s.name}? What changed since is lost. A running VM is stopped first, and resumes only if the snapshot saved its memory: ${memory}.`;
}

/** The snapshot tree of `vm`. */
export function SnapshotTree({ vm, snapshots, onRevert, onDelete, busy, readOnly = false }: SnapshotTreeProps) {
  const tree = childrenOf(snapshots);
  const branch = (parent: string, depth: number) => (
    <ul class={depth === 0 ? 'snap-tree' : 'snap-children'} role={depth === 0 ? 'list' : undefined}>
      {(tree.get(parent) ?? []).map((s) => (
        <li key={s.id} id={`snapshot-${s.name}`} data-current={s.current ? 'true' : 'false'} aria-current={s.current ? 'true' : undefined}>
          <div class={`snap${s.current ? ' snap-current' : ''}`}>
            <span class="snap-name">{s.name}</span>
            {s.current && (
              <span class="badge state-running" id={`snapshot-${s.name}-current`} title="the VM runs on top of this snapshot">
                current
              </span>
            )}
            <span class="badge tag">{s.withMemory ? `memory (${s.vmState})` : `disks (${s.vmState})`}</span>
            <time class="muted" dateTime={s.createdAt} title={dateTime(s.createdAt)}>
              {timeAgo(s.createdAt)}
            </time>
            {s.description && <span class="snap-desc">{s.description}</span>}
            {!readOnly && (
              <span class="actions snap-actions">
                <ConfirmButton id={`snapshot-${s.name}-revert`} label="Revert" ariaLabel={`Revert ${vm.name} to snapshot ${s.name}`} question={revertQuestion(vm, s)} danger={false} disabled={busy} onConfirm={() => onRevert(s)} />
                <ConfirmButton
                  id={`snapshot-${s.name}-delete`}
                  label="Delete"
                  ariaLabel={`Delete snapshot ${s.name}`}
                  question={`Delete snapshot ${s.name}? Snapshots taken on top of it keep their own state.`}
                  disabled={busy}
                  onConfirm={() => onDelete(s)}
                />
              </span>
            )}
          </div>
          {tree.has(s.name) && branch(s.name, depth + 1)}
        </li>
      ))}
    </ul>
  );
  return branch('', 0);
}
