/** The volumes table: every volume with where it lives, what uses it, and its actions. */
import type { Volume } from '@herd/api';
import { VolumeRow } from './volume-row.js';

/** The table of `volumes`; `vms` are the VM names offered for attaching. */
export function VolumeTable({ volumes, vms }: { readonly volumes: readonly Volume[]; readonly vms: readonly string[] }) {
  return (
    <div class="table-wrap">
      <table class="table" id="volume-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Pool</th>
            <th scope="col">Format</th>
            <th scope="col" class="num">Size</th>
            <th scope="col" class="num">Used</th>
            <th scope="col">Role</th>
            <th scope="col">VM</th>
            <th scope="col">Image</th>
            <th scope="col">Encrypted</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {volumes.map((v) => (
            <VolumeRow key={v.id} volume={v} vms={vms} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
