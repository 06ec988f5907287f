/**
 * The manifest of a backup archive (`backup.json` inside the tar): what VM it was, its spec,
 * and its disks. Checked where it enters (restore), like any input from outside.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Format tag of herd backup archives. */
export const manifestFormat = 'herd-backup/1';

const Manifest = Type.Object({
  format: Type.Literal(manifestFormat),
  id: Type.String(),
  kind: Type.Union([Type.Literal('full'), Type.Literal('incremental')]),
  parent: Type.Union([Type.Null(), Type.Object({ id: Type.String(), archive: Type.String() })]),
  createdAt: Type.String(),
  vm: Type.Object({
    id: Type.String(),
    name: Type.String(),
    cpus: Type.Integer({ minimum: 1 }),
    memoryMiB: Type.Integer({ minimum: 1 }),
    diskBytes: Type.Integer({ minimum: 1 }),
    image: Type.String(),
    kernelCmdline: Type.Union([Type.String(), Type.Null()]),
    accel: Type.Union([Type.Literal('auto'), Type.Literal('kvm'), Type.Literal('tcg')]),
    restartPolicy: Type.Union([Type.Literal('no'), Type.Literal('on-failure'), Type.Literal('always')]),
    watchdog: Type.Union([Type.Literal('off'), Type.Literal('poweroff'), Type.Literal('reset'), Type.Literal('pause')]),
    // Absent in archives made before VMs had displays: those had none.
    display: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('vnc')])),
  }),
  // The networks the VM's NICs were on; a restore gives it NICs (new MACs and addresses) on those that exist.
  nics: Type.Optional(Type.Array(Type.Object({ network: Type.String() }))),
  disks: Type.Array(
    Type.Object({
      file: Type.String({ pattern: '^disk[0-9]+\\.qcow2$' }),
      name: Type.String(),
      role: Type.Union([Type.Literal('root'), Type.Literal('data')]),
      format: Type.Union([Type.Literal('qcow2'), Type.Literal('raw')]),
      sizeBytes: Type.Integer({ minimum: 1 }),
      device: Type.String(),
    }),
    { minItems: 1 },
  ),
});
/** A backup manifest. */
export type Manifest = Static<typeof Manifest>;

/** Parses a manifest; throws a message saying what is wrong. */
export function parseManifest(text: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('backup.json is not JSON');
  }
  if (!Value.Check(Manifest, value)) {
    const first = [...Value.Errors(Manifest, value)][0];
    throw new Error(`backup.json is not a herd backup manifest (${first ? `${first.path || '/'}: ${first.message}` : 'unknown shape'})`);
  }
  return value;
}
