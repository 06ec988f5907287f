/** Sample API objects for CLI tests, shaped as the daemon returns them. */
import type { Backup, Host, Image, Network, Nic, Operation, Pool, Project, SecurityGroup, Snapshot, Token, TokenCreated, User, Vm, Volume, Whoami } from '@herd/api';

const t0 = '2025-01-01T00:00:00.000Z';

/** A running VM named `name`. */
export function sampleVm(name = 'web1', overrides: Partial<Vm> = {}): Vm {
  return {
    id: '0b6f6a0e-6c56-4f4b-9f7e-0c1f3c2b0a01',
    name,
    state: 'running',
    desiredState: 'running',
    accel: 'tcg',
    pid: 4242,
    host: 'local',
    placement: { selector: {}, groups: [] },
    priority: 0,
    ha: false,
    spec: { cpus: 1, memoryMiB: 256, diskBytes: 1024 ** 3, image: 'tiny', kernelCmdline: null, accel: 'auto', restartPolicy: 'no', restartLimit: { maxRestarts: 5, windowSeconds: 600 }, healthCheck: null, watchdog: 'off', portForwards: [], disks: [], cdrom: null, display: 'none', nics: [] },
    status: { reason: null, lastError: null, startedAt: t0, stateChangedAt: t0, health: 'none', addresses: [], restarts: { recent: 0, nextAt: null } },
    createdAt: t0,
    updatedAt: t0,
    ...overrides,
  };
}

/** An operation on `vm/web1`. */
export function sampleOp(overrides: Partial<Operation> = {}): Operation {
  return {
    id: '7d1e2c4a-1b2c-4d3e-8f90-a1b2c3d4e5f6',
    kind: 'vm.start',
    status: 'pending',
    target: { type: 'vm', id: null, name: 'web1' },
    progress: 0,
    message: 'queued',
    result: null,
    error: null,
    createdAt: t0,
    updatedAt: t0,
    finishedAt: null,
    ...overrides,
  };
}

/** The `tiny` image. */
export function sampleImage(overrides: Partial<Image> = {}): Image {
  return {
    id: '3c9a1f55-2d6e-4b7a-9c1d-5e6f7a8b9c0d',
    name: 'tiny',
    kind: 'kernel',
    format: 'qcow2',
    virtualSize: 64 * 1024 ** 2,
    actualSize: 12 * 1024 ** 2,
    source: 'recipe:tiny',
    kernelCmdline: 'console=ttyS0',
    minMemoryMiB: 96,
    usedBy: [],
    createdAt: t0,
    ...overrides,
  };
}

/** Host `name`, online, leading, with two VMs. */
export function sampleHost(name = 'h1', overrides: Partial<Host> = {}): Host {
  return {
    name,
    address: `https://${name}.example:8443`,
    labels: { zone: 'a' },
    mode: 'active',
    status: 'online',
    alive: true,
    leader: true,
    heartbeatAt: t0,
    leaseExpiresAt: '2025-01-01T00:00:10.000Z',
    overcommit: { cpu: 4 },
    capacity: { vcpus: 8, memoryMiB: 16384, diskGiB: 500 },
    allocated: { vcpus: 3, memoryMiB: 1536, diskGiB: 20 },
    loadCpu: 0.125,
    pools: ['default'],
    networks: ['default'],
    cpus: 8,
    memoryBytes: 16384 * 1024 ** 2,
    accel: 'kvm',
    accelPreference: 'auto',
    accelReason: '/dev/kvm is usable',
    kvmUsable: true,
    qemuVersion: '8.2.2',
    kernel: '6.1.0',
    herdVersion: '0.1.0',
    vms: { total: 2, running: 1 },
    dataDir: '/var/lib/herd',
    startedAt: t0,
    ...overrides,
  };
}

/** The `default` dir pool, a fifth used. */
export function samplePool(overrides: Partial<Pool> = {}): Pool {
  return {
    id: '5f0c6a2e-8d4b-4c1a-9e3f-2b7d6c5a4e01',
    name: 'default',
    type: 'dir',
    path: '/var/lib/herd/pools/default',
    volumeGroup: null,
    thinPool: null,
    shared: false,
    capacityBytes: 100 * 1024 ** 3,
    allocatedBytes: 40 * 1024 ** 3,
    usedBytes: 20 * 1024 ** 3,
    freeBytes: 80 * 1024 ** 3,
    volumes: 3,
    createdAt: t0,
    ...overrides,
  };
}

/** A 10 GiB data volume `data1` in the default pool, attached to nothing. */
export function sampleVolume(overrides: Partial<Volume> = {}): Volume {
  return {
    id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
    name: 'data1',
    pool: 'default',
    format: 'qcow2',
    sizeBytes: 10 * 1024 ** 3,
    usedBytes: 196 * 1024,
    role: 'data',
    vm: null,
    image: null,
    encrypted: false,
    createdAt: t0,
    ...overrides,
  };
}

/** A disk-only snapshot `base` of `web1`, taken while it was stopped. */
export function sampleSnapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    id: '2e4f6a8c-0b1d-4e3f-9a5b-7c9d1e3f5a7b',
    name: 'base',
    vm: 'web1',
    parent: null,
    current: false,
    withMemory: false,
    vmState: 'stopped',
    description: '',
    createdAt: t0,
    ...overrides,
  };
}

/** A full backup of `web1`. */
export function sampleBackup(overrides: Partial<Backup> = {}): Backup {
  return {
    id: '6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f',
    vm: 'web1',
    vmId: '0b6f6a0e-6c56-4f4b-9f7e-0c1f3c2b0a01',
    path: '/var/lib/herd/backups/web1-20250101T000000Z.herd-backup',
    kind: 'full',
    parent: null,
    sizeBytes: 300 * 1024 ** 2,
    createdAt: t0,
    ...overrides,
  };
}

/** The `default` nat network, 10.177.0.0/24, with one NIC. */
export function sampleNetwork(overrides: Partial<Network> = {}): Network {
  return {
    id: '4d3c2b1a-0f9e-4d8c-b7a6-958473625140',
    name: 'default',
    type: 'nat',
    cidr: '10.177.0.0/24',
    gateway: '10.177.0.1',
    dhcpRange: { start: '10.177.0.10', end: '10.177.0.250' },
    bridge: 'hb-4d3c2b1a0f',
    vlan: null,
    vni: null,
    mtu: 1500,
    domain: 'default.herd',
    nics: 1,
    status: { state: 'ready', error: null },
    createdAt: t0,
    ...overrides,
  };
}

/** The NIC of `web1` on the default network. */
export function sampleNic(overrides: Partial<Nic> = {}): Nic {
  return {
    id: '8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968',
    vm: 'web1',
    network: 'default',
    device: 'n8e7d6c5b4a39',
    mac: '52:54:00:ab:cd:ef',
    ip: '10.177.0.10',
    tap: 'ht-8e7d6c5b4a39',
    securityGroups: [],
    createdAt: t0,
    ...overrides,
  };
}

/** The `web` security group: HTTP from anywhere, SSH from the office. */
export function sampleSecgroup(overrides: Partial<SecurityGroup> = {}): SecurityGroup {
  return {
    id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
    name: 'web',
    description: 'public web servers',
    rules: [
      { id: 'aa11bb22-cc33-4d44-8e55-ff6677889900', direction: 'ingress', protocol: 'tcp', portFrom: 80, portTo: 80, remoteCidr: null },
      { id: 'bb22cc33-dd44-4e55-9f66-778899aabbcc', direction: 'ingress', protocol: 'tcp', portFrom: 22, portTo: 22, remoteCidr: '192.168.1.0/24' },
    ],
    nics: 2,
    createdAt: t0,
    ...overrides,
  };
}

/** Project `web`: 3 of 5 VMs, 6 of 8 vCPUs, 1.5 of 8 GiB memory, 10.5 GiB of disk and networks unlimited. */
export function sampleProject(overrides: Partial<Project> = {}): Project {
  return {
    id: '9e8d7c6b-5a49-4382-a716-0f1e2d3c4b5a',
    name: 'web',
    description: 'the web team',
    limits: { vms: 5, vcpus: 8, memoryMiB: 8192, diskGiB: null, networks: null },
    usage: { vms: 3, vcpus: 6, memoryMiB: 1536, diskGiB: 10.5, networks: 1 },
    members: [
      { user: 'alice', role: 'admin' },
      { user: 'bob', role: 'viewer' },
    ],
    createdAt: t0,
    ...overrides,
  };
}

/** User `alice`: admin in `web`, viewer in `db`. */
export function sampleUser(overrides: Partial<User> = {}): User {
  return {
    id: '4d3c2b1a-0f9e-4d8c-b7a6-5f4e3d2c1b0a',
    name: 'alice',
    clusterAdmin: false,
    roles: [
      { project: 'web', role: 'admin' },
      { project: 'db', role: 'viewer' },
    ],
    createdAt: t0,
    ...overrides,
  };
}

/** Token `laptop` of alice: never expires, never used, not revoked. */
export function sampleToken(overrides: Partial<Token> = {}): Token {
  return {
    id: '6b5a4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d',
    name: 'laptop',
    user: 'alice',
    createdAt: t0,
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    ...overrides,
  };
}

/** Token `ci` of alice just made, with its secret. */
export function sampleTokenCreated(overrides: Partial<TokenCreated> = {}): TokenCreated {
  return { ...sampleToken({ name: 'ci' }), secret: 'herd_s3cr3t-0123456789abcdef', ...overrides };
}

/** The cluster admin `admin`, by token. */
export function sampleWhoami(overrides: Partial<Whoami> = {}): Whoami {
  return { user: 'admin', clusterAdmin: true, via: 'token', roles: [], ...overrides };
}
