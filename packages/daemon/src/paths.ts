/**
 * Where herd keeps things under its data directory. Every per-VM name is derived from the VM's
 * id, so that doing something twice finds the same file and fails safe.
 */
import { join, resolve } from 'node:path';

/** Unix socket paths are limited to 107 bytes by the kernel (sun_path). */
const maxSocketPath = 107;

/** The layout of a data directory. */
export class DataPaths {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = resolve(dataDir);
  }

  /** The SQLite database. */
  get database(): string {
    return join(this.root, 'herd.db');
  }
  /** The audit log's chain head: seq and hash of the newest audit record (see audit/chain-head.ts). */
  get auditHead(): string {
    return join(this.root, 'audit.head');
  }
  /** Image files: one directory per image id. */
  imageDir(imageId: string): string {
    return join(this.root, 'images', imageId);
  }
  /** Temporary work space (image builds, imports). */
  get tmp(): string {
    return join(this.root, 'tmp');
  }
  /** The default directory pool. */
  get defaultPool(): string {
    return join(this.root, 'pools', 'default');
  }
  /** A VM's root disk in the default pool. */
  rootDisk(vmId: string): string {
    return join(this.defaultPool, `${vmId}-root.qcow2`);
  }
  /** Passphrase file of an encrypted volume. */
  volumeKey(volumeId: string): string {
    return join(this.root, 'keys', `${volumeId}.key`);
  }
  /** A network's DHCP/DNS server files (dnsmasq pidfile, leases, hosts). */
  networkDir(networkId: string): string {
    return join(this.root, 'networks', networkId);
  }
  /** The first cluster admin's token, written once when the installation is new (0600). */
  get adminToken(): string {
    return join(this.root, 'admin.token');
  }
  /** Default place for backup archives. */
  get backups(): string {
    return join(this.root, 'backups');
  }
  /** Runtime files of all VMs. */
  get runRoot(): string {
    return join(this.root, 'run');
  }
  /** A VM's runtime directory: QMP and console sockets, pidfile. */
  runDir(vmId: string): string {
    return join(this.runRoot, vmId);
  }
  /** Console logs of all VMs. */
  get logRoot(): string {
    return join(this.root, 'logs');
  }
  /** A VM's serial console log; kept across daemon restarts and VM reboots. */
  consoleLog(vmId: string): string {
    return join(this.logRoot, `${vmId}.console.log`);
  }

  /** The local API socket (`herd.sock`), unless --socket moves it. */
  get apiSocket(): string {
    return join(this.root, 'herd.sock');
  }
  /** herd's own CA and server certificate for TLS (made on first start; see serving/server-certificate.ts). */
  get tls(): string {
    return join(this.root, 'tls');
  }

  /** Throws if socket paths under this data directory would be too long for the kernel. */
  checkSocketPathLength(): void {
    const longest = join(this.runDir('00000000-0000-0000-0000-000000000000'), 'console.sock');
    if (Buffer.byteLength(longest) > maxSocketPath)
      throw new Error(
        `data directory ${this.root} is too deep: VM sockets there would be ${Buffer.byteLength(longest)} bytes long, over the kernel's limit of ${maxSocketPath}; use a shorter --data-dir`,
      );
  }
}
