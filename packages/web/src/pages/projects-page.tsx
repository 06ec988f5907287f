/**
 * Projects: the ones the user may act in (every one, for cluster admins) with their role there
 * and what each uses against its limits, as `herd project show` tells it. Picking one here is
 * the same as picking it in the header.
 */
import type { Project, ProjectLimits, ProjectUsage, Whoami } from '@herd/api';
import { client } from '../lib/client.js';
import { describeRole } from '../lib/access.js';
import { errorMessage } from '../lib/errors.js';
import { useLive } from '../lib/use-live.js';
import { switchProject, type SignedIn } from '../lib/session.js';
import { Notice } from '../components/notice.js';
import { UsageBar } from '../components/usage-bar.js';

const resources: readonly { readonly key: keyof ProjectUsage & keyof ProjectLimits; readonly label: string; readonly unit: string }[] = [
  { key: 'vms', label: 'VMs', unit: '' },
  { key: 'vcpus', label: 'vCPUs', unit: '' },
  { key: 'memoryMiB', label: 'Memory', unit: ' MiB' },
  { key: 'diskGiB', label: 'Disk', unit: ' GiB' },
  { key: 'networks', label: 'Networks', unit: '' },
];

function amount(n: number, unit: string): string {
  return `${Number.isInteger(n) ? n : n.toFixed(1)}${unit}`;
}

/** One resource of a project: its use, and a bar against the limit when there is one. */
function Usage({ p, r }: { readonly p: Project; readonly r: (typeof resources)[number] }) {
  const used = p.usage[r.key];
  const limit = p.limits[r.key];
  const id = `project-${p.name}-${r.key}`;
  return (
    <td class="c-usage">
      <span class="num" id={id}>
        {amount(used, r.unit)} <span class="muted">of {limit === null || limit === undefined ? 'no limit' : amount(limit, r.unit)}</span>
      </span>
      {limit !== null && limit !== undefined && <UsageBar used={used} free={Math.max(0, limit - used)} label={`${r.label} of ${p.name}`} />}
    </td>
  );
}

/** The projects page. */
export function ProjectsPage({ session }: { readonly session: SignedIn }) {
  // Nothing on the event stream says a project changed: read when the page opens.
  const projects = useLive(() => client.call('listProjects'), () => false);
  const who: Whoami = session.who;
  const rows = [...(projects.data ?? session.projects)].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <div class="page page-wide">
      <div class="page-head">
        <h1>Projects</h1>
      </div>
      {projects.error && <Notice>{errorMessage(projects.error)}</Notice>}
      <div class="card table-wrap">
        {rows.length === 0 ? (
          <p class="muted" id="project-table-empty">
            You have no role in any project yet; ask a cluster administrator for one.
          </p>
        ) : (
          <table class="table" id="project-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Your role</th>
                {resources.map((r) => (
                  <th key={r.key} class="num">
                    {r.label}
                  </th>
                ))}
                <th>
                  <span class="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((p) => (
                <tr key={p.id} id={`project-${p.name}-row`}>
                  <td>
                    <strong>{p.name}</strong>
                    {p.description && <div class="muted small">{p.description}</div>}
                  </td>
                  <td id={`project-${p.name}-role`}>{describeRole(who, p.name)}</td>
                  {resources.map((r) => (
                    <Usage key={r.key} p={p} r={r} />
                  ))}
                  <td class="c-row-actions">
                    {p.name === session.project ? (
                      <span class="muted" id={`project-${p.name}-current`}>
                        current
                      </span>
                    ) : (
                      <button type="button" id={`project-${p.name}-use`} onClick={() => switchProject(p.name)}>
                        Switch to
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}
