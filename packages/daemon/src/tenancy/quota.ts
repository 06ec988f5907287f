/**
 * Project quotas: what a project uses and whether a request fits under its limits. The check
 * runs in the same transaction as the insert it guards, under the project's quota lock, so two
 * concurrent creates cannot both slip under a limit, on one host or across a cluster.
 */
import { HerdError, type ProjectLimits, type ProjectUsage } from '@herd/api';
import { sql, type Kysely, type Transaction } from 'kysely';
import { lockKey } from '../store/db-lock.js';
import type { Database } from '../store/schema.js';

const GiB = 1024 ** 3;

/** What a request adds to a project's use. */
export type QuotaRequest = Partial<ProjectUsage>;

type Q = Kysely<Database> | Transaction<Database>;

/** What project `projectId` uses now. */
export async function projectUsage(db: Q, projectId: string): Promise<ProjectUsage> {
  const vm = await db
    .selectFrom('vms')
    .select([sql<number>`count(*)`.as('n'), sql<number>`coalesce(sum(cpus), 0)`.as('cpus'), sql<number>`coalesce(sum(memory_mib), 0)`.as('mem')])
    .where('project_id', '=', projectId)
    .executeTakeFirstOrThrow();
  // Volumes count by virtual size; a VM whose root volume is not made yet counts its disk size.
  const disk = await sql<{ bytes: number }>`
    SELECT coalesce((SELECT sum(size_bytes) FROM volumes WHERE project_id = ${projectId} AND role != 'layer'), 0)
         + coalesce((SELECT sum(disk_bytes) FROM vms v WHERE v.project_id = ${projectId}
                     AND NOT EXISTS (SELECT 1 FROM volumes r WHERE r.vm_id = v.id AND r.role = 'root')), 0) AS bytes`.execute(db);
  const nets = await db.selectFrom('networks').select(sql<number>`count(*)`.as('n')).where('project_id', '=', projectId).executeTakeFirstOrThrow();
  return {
    vms: Number(vm.n),
    vcpus: Number(vm.cpus),
    memoryMiB: Number(vm.mem),
    diskGiB: Math.round((Number(disk.rows[0]?.bytes ?? 0) / GiB) * 1000) / 1000,
    networks: Number(nets.n),
  };
}

const labels: Record<keyof ProjectUsage, string> = {
  vms: 'VM count',
  vcpus: 'vCPU',
  memoryMiB: 'memory (MiB)',
  diskGiB: 'disk (GiB)',
  networks: 'network count',
};

/** Throws quota_exceeded when `request` on top of `usage` passes one of `limits`. */
export function checkQuota(project: string, limits: ProjectLimits, usage: ProjectUsage, request: QuotaRequest): void {
  for (const key of Object.keys(labels) as (keyof ProjectUsage)[]) {
    const limit = limits[key];
    const add = request[key] ?? 0;
    if (limit === undefined || limit === null || add <= 0) continue;
    if (usage[key] + add > limit + 1e-9)
      throw new HerdError('quota_exceeded', { project, resource: labels[key], limit, used: usage[key], requested: add });
  }
}

/** A project's limits as stored (JSON in `projects.limits`). */
export function limitsOf(row: { readonly limits: string }): ProjectLimits {
  return JSON.parse(row.limits) as ProjectLimits;
}

/** Bytes as the GiB a quota counts. */
export function bytesToGiB(bytes: number): number {
  return bytes / GiB;
}

/**
 * Runs `insert` in a transaction after checking that `request` fits project `projectId`'s
 * limits; the check and the insert see the same state, and no other insert into the project
 * runs between them.
 */
export async function insertWithinQuota(db: Kysely<Database>, projectId: string, request: QuotaRequest, insert: (trx: Transaction<Database>) => Promise<void>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockKey(trx, `quota:${projectId}`);
    const project = await trx.selectFrom('projects').select(['name', 'limits']).where('id', '=', projectId).executeTakeFirst();
    if (project) {
      const limits = limitsOf(project);
      if (Object.values(limits).some((v) => v !== null && v !== undefined)) checkQuota(project.name, limits, await projectUsage(trx, projectId), request);
    }
    await insert(trx);
  });
}
