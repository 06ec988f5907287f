import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildArgv, InvalidLaunchSpecError, QEMU_SANDBOX } from './build-argv.js';
import { UnsafeOptionValueError } from './escape.js';
import type { LaunchSpec } from './launch-spec.js';

// Run with UPDATE_GOLDEN=1 to rewrite the golden files after an intended change; review the diff.
const update = process.env.UPDATE_GOLDEN === '1';

function golden(name: string, argv: readonly string[]): void {
  const file = fileURLToPath(new URL(`./__golden__/${name}.argv`, import.meta.url));
  const text = argv.map((a) => `${a}\n`).join('');
  if (update) writeFileSync(file, text);
  expect(text).toBe(readFileSync(file, 'utf8'));
}

const base: LaunchSpec = {
  uuid: '6f1c2a4e-9b1d-4c55-8a3e-2f0d5b7c9e10',
  name: 'web-1',
  accel: 'tcg',
  cpus: 1,
  memoryMiB: 256,
  runDir: '/run/herd/vms/6f1c2a4e',
  consoleLog: '/var/lib/herd/vms/6f1c2a4e/console.log',
  boot: { kind: 'kernel', kernel: '/boot/vmlinuz', initrd: '/boot/initrd.img', cmdline: 'console=ttyS0 quiet' },
  disks: [],
  startPaused: true,
};

describe('buildArgv golden files', () => {
  it('kernel boot, TCG, paused', () => {
    golden('kernel-boot', buildArgv(base));
  });

  it('watchdog and user-mode port forwards (loopback only)', () => {
    golden(
      'watchdog-port-forwards',
      buildArgv({ ...base, watchdog: 'poweroff', portForwards: [{ hostPort: 18080, guestPort: 80 }, { hostPort: 18022, guestPort: 22 }] }),
    );
  });

  it('firmware boot, KVM, two disks (root gets bootindex 0)', () => {
    golden(
      'firmware-two-disks',
      buildArgv({
        ...base,
        accel: 'kvm',
        cpus: 4,
        memoryMiB: 4096,
        boot: { kind: 'firmware' },
        startPaused: false,
        disks: [
          { id: 'root', path: '/var/lib/herd/pools/default/web-1-root.qcow2', format: 'qcow2' },
          { id: 'data0', path: '/var/lib/herd/pools/default/seed.img', format: 'raw', readOnly: true },
        ],
      }),
    );
  });

  it('LUKS secret by file, host_device, serial, and a CD-ROM booted from (root disk yields bootindex 0)', () => {
    golden(
      'disk-options-cdrom-boot',
      buildArgv({
        ...base,
        boot: { kind: 'firmware' },
        disks: [
          { id: 'root', path: '/var/lib/herd/pools/lvm/web-1-root', format: 'raw', driver: 'host_device', serial: 'herd-root' },
          { id: 'sealed', path: '/pools/a,b/sealed.qcow2', format: 'qcow2', secretFile: '/run/herd/keys/a,b.key', readOnly: true },
        ],
        cdrom: { path: '/var/lib/herd/isos/install,1.iso', boot: true },
      }),
    );
  });

  it('display vnc: a VGA card, and VNC on a unix socket in the runtime directory (no TCP port)', () => {
    golden('vnc-display', buildArgv({ ...base, display: 'vnc' }));
  });

  it('incoming migration: -incoming defer, and -S although startPaused is not set', () => {
    golden(
      'incoming-migration',
      buildArgv({ ...base, startPaused: false, incoming: true, disks: [{ id: 'root', path: '/var/lib/herd/pools/local/web-1-root.qcow2', format: 'qcow2' }] }),
    );
  });

  it('commas in paths are doubled in key=value options and left alone in verbatim ones', () => {
    golden(
      'comma-escaping',
      buildArgv({
        ...base,
        name: 'a,b',
        runDir: '/run/herd/x,y',
        consoleLog: '/var/log/a,b.log',
        boot: { kind: 'kernel', kernel: '/boot/k,1', cmdline: 'x=1,y=2' },
        disks: [{ id: 'root', path: '/pools/a,driver=raw,b.qcow2', format: 'qcow2' }],
      }),
    );
  });
});

describe('buildArgv for a live migration', () => {
  it('gives the same VM on another host the same devices and block nodes: only paths, taps and the incoming flags differ', () => {
    const vm: LaunchSpec = {
      ...base,
      startPaused: false,
      boot: { kind: 'firmware' },
      disks: [
        { id: 'root', path: '/pools/a/root.qcow2', format: 'qcow2', serial: 'herd-root' },
        { id: 'sealed', path: '/pools/a/sealed.qcow2', format: 'qcow2', secretFile: '/run/herd/keys/a.key' },
      ],
      cdrom: { path: '/isos/a/install.iso', boot: false },
      nics: [{ id: 'eth0', tap: 'hv-a1', mac: '52:54:00:12:34:56', mtu: 1450 }],
      watchdog: 'reset',
      display: 'vnc',
      portForwards: [{ hostPort: 18022, guestPort: 22 }],
    };
    const moved: [string, string][] = [
      ['/srv/run/b', base.runDir],
      ['/srv/log/b.log', base.consoleLog],
      ['/pools/b/', '/pools/a/'],
      ['/keys/b.key', '/keys/a.key'],
      ['/isos/b/', '/isos/a/'],
      ['hv-b7', 'hv-a1'],
    ];
    const there = buildArgv({
      ...vm,
      runDir: '/srv/run/b',
      consoleLog: '/srv/log/b.log',
      disks: vm.disks.map((d) => ({ ...d, path: d.path.replace('/pools/a/', '/pools/b/'), ...(d.secretFile ? { secretFile: '/run/herd/keys/b.key' } : {}) })),
      cdrom: { path: '/isos/b/install.iso', boot: false },
      nics: [{ ...vm.nics![0]!, tap: 'hv-b7' }],
      runAs: { uid: 1_000_000_009, gid: 1_000_000_009 },
      incoming: true,
    });
    const asHere = there.map((word) => moved.reduce((w, [from, to]) => w.replaceAll(from, to), word));
    expect(asHere).toEqual([...buildArgv(vm), '-S', '-incoming', 'defer']);
  });
});

describe('buildArgv confinement', () => {
  it('puts QEMU under its full seccomp sandbox, and never asks it to fork or change user (the sandbox forbids both)', () => {
    const argv = buildArgv({ ...base, runAs: { uid: 1_000_000_007, gid: 1_000_000_007 } });
    expect(argv[argv.indexOf('-sandbox') + 1]).toBe('on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny');
    expect(QEMU_SANDBOX).toBe('on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny');
    expect(argv).not.toContain('-daemonize');
    expect(argv).not.toContain('-runas');
    // The user is the launcher's business: argv is the same with and without it.
    expect(argv).toEqual(buildArgv(base));
  });
});

describe('buildArgv disks', () => {
  const root = { id: 'root', path: '/r.qcow2', format: 'qcow2' } as const;

  it('keeps bootindex 0 on the root disk when the CD-ROM is only attached', () => {
    const argv = buildArgv({ ...base, boot: { kind: 'firmware' }, disks: [root], cdrom: { path: '/x.iso', boot: false } });
    expect(argv).toContain('virtio-blk-pci,drive=root-fmt,id=root,werror=stop,rerror=stop,bootindex=0');
    expect(argv).toContain('ide-cd,drive=cdrom-fmt,id=cdrom');
  });

  it('puts no passphrase on the command line, only the file holding it', () => {
    const argv = buildArgv({ ...base, disks: [{ ...root, secretFile: '/keys/root.key' }] });
    expect(argv.filter((a) => a.includes('root-key'))).toEqual([
      'secret,id=root-key,file=/keys/root.key,format=raw',
      'driver=qcow2,node-name=root-fmt,file=root-file,encrypt.format=luks,encrypt.key-secret=root-key',
    ]);
  });
});

describe('buildArgv validation', () => {
  it('rejects newlines in any user-influenced value', () => {
    expect(() => buildArgv({ ...base, name: 'a\nb' })).toThrow(UnsafeOptionValueError);
    expect(() => buildArgv({ ...base, boot: { kind: 'kernel', kernel: '/k', cmdline: 'a\nb' } })).toThrow(UnsafeOptionValueError);
    expect(() => buildArgv({ ...base, disks: [{ id: 'root', path: '/a\0b', format: 'raw' }] })).toThrow(UnsafeOptionValueError);
    expect(() => buildArgv({ ...base, disks: [{ id: 'root', path: '/a', format: 'qcow2', secretFile: '/k\n' }] })).toThrow(UnsafeOptionValueError);
    expect(() => buildArgv({ ...base, cdrom: { path: '/a\nb.iso', boot: false } })).toThrow(UnsafeOptionValueError);
  });

  it('rejects disk ids QEMU would not accept as node names, and duplicates', () => {
    expect(() => buildArgv({ ...base, disks: [{ id: '0root', path: '/a', format: 'raw' }] })).toThrow(InvalidLaunchSpecError);
    expect(() => buildArgv({ ...base, disks: [{ id: 'x'.repeat(27), path: '/a', format: 'raw' }] })).toThrow(InvalidLaunchSpecError);
    const d = { id: 'root', path: '/a', format: 'raw' } as const;
    expect(() => buildArgv({ ...base, disks: [d, d] })).toThrow(/used twice/);
  });

  it('rejects serials virtio-blk cannot carry, secrets on raw images, and booting a CD-ROM past -kernel', () => {
    expect(() => buildArgv({ ...base, disks: [{ id: 'root', path: '/a', format: 'raw', serial: 's'.repeat(21) }] })).toThrow(/serial/);
    expect(() => buildArgv({ ...base, disks: [{ id: 'root', path: '/a', format: 'raw', serial: 'a b' }] })).toThrow(InvalidLaunchSpecError);
    expect(() => buildArgv({ ...base, disks: [{ id: 'root', path: '/a', format: 'raw', secretFile: '/k' }] })).toThrow(/only qcow2/);
    expect(() => buildArgv({ ...base, cdrom: { path: '/x.iso', boot: true } })).toThrow(/firmware boot/);
  });

  it('rejects sizes that are not positive integers', () => {
    expect(() => buildArgv({ ...base, cpus: 0 })).toThrow(/cpus/);
    expect(() => buildArgv({ ...base, memoryMiB: 1.5 })).toThrow(/memoryMiB/);
  });

  it('adds no display device unless display is vnc, and doubles commas in the VNC socket path', () => {
    expect(buildArgv({ ...base, display: 'none' })).toEqual(buildArgv(base));
    const argv = buildArgv({ ...base, runDir: '/run/a,b', display: 'vnc' });
    expect(argv[argv.indexOf('-vnc') + 1]).toBe('unix:/run/a,,b/vnc.sock');
  });

  it('rejects a runDir too long for a unix socket path', () => {
    expect(() => buildArgv({ ...base, runDir: `/run/${'d'.repeat(120)}` })).toThrow(/longer than 107 bytes/);
  });
});

describe('buildArgv NICs', () => {
  const lan = { id: 'lan', tap: 'ht-0a1b2c3d4e5f', mac: '52:54:00:0a:1b:2c' } as const;
  const withNics = (nics: LaunchSpec['nics'], extra: Partial<LaunchSpec> = {}): string[] => buildArgv({ ...base, ...extra, nics });

  it('tap NICs ahead of the port-forward NIC, one announcing its MTU', () => {
    golden(
      'tap-nics',
      withNics([lan, { id: 'n0f9e8d7c6b5a', tap: 'ht-0f9e8d7c6b5a', mac: '02:00:00:00:00:01', mtu: 1400 }], {
        portForwards: [{ hostPort: 18022, guestPort: 22 }],
      }),
    );
  });

  it('rejects ids QEMU would not accept, and the ids of devices herd adds itself', () => {
    expect(() => withNics([{ ...lan, id: '0lan' }])).toThrow(InvalidLaunchSpecError);
    expect(() => withNics([{ ...lan, id: 'a,b' }])).toThrow(/NIC id "a,b" must be a letter/);
    expect(() => withNics([{ ...lan, id: 'nic0' }])).toThrow(/NIC id "nic0" is reserved/);
    expect(() => withNics([{ ...lan, id: 'cdrom' }])).toThrow(/reserved/);
  });

  it('accepts only unicast, locally administered MACs', () => {
    expect(() => withNics([{ ...lan, mac: '52:54:00:AB:CD:EF' }])).not.toThrow();
    expect(() => withNics([{ ...lan, mac: '00:16:3e:00:00:01' }])).toThrow(/MAC "00:16:3e:00:00:01" of NIC "lan" must be a unicast, locally administered/);
    expect(() => withNics([{ ...lan, mac: '53:54:00:00:00:01' }])).toThrow(/unicast/);
    expect(() => withNics([{ ...lan, mac: '52:54:00:00:00' }])).toThrow(/MAC/);
    expect(() => withNics([{ ...lan, mac: '52:54:00:00:00:01,x=y' }])).toThrow(/MAC/);
  });

  it('rejects tap names Linux would not accept, and MTUs outside what the guest driver uses', () => {
    expect(() => withNics([{ ...lan, tap: 'ht-0123456789abc' }])).toThrow(/tap "ht-0123456789abc" of NIC "lan" must be an interface name of 1 to 15/);
    expect(() => withNics([{ ...lan, tap: 'a/b' }])).toThrow(/tap/);
    expect(() => withNics([{ ...lan, tap: '..' }])).toThrow(/tap/);
    expect(() => withNics([{ ...lan, mtu: 67 }])).toThrow(/mtu of NIC "lan" must be an integer from 68 to 65535, got 67/);
    expect(() => withNics([{ ...lan, mtu: 1500.5 }])).toThrow(/mtu/);
    expect(() => withNics([{ ...lan, mtu: 9000 }])).not.toThrow();
  });

  it('rejects an id, MAC or tap used twice, NIC ids that are disk ids included', () => {
    const other = { id: 'wan', tap: 'ht-2', mac: '52:54:00:00:00:02' };
    expect(() => withNics([lan, { ...other, id: 'lan' }])).toThrow(/NIC id "lan" is used twice/);
    expect(() => withNics([lan], { disks: [{ id: 'lan', path: '/a', format: 'raw' }] })).toThrow(/NIC id "lan" is used twice/);
    expect(() => withNics([lan, { ...other, mac: lan.mac.toUpperCase() }])).toThrow(/MAC 52:54:00:0A:1B:2C is given to two NICs/);
    expect(() => withNics([lan, { ...other, tap: lan.tap }])).toThrow(/tap "ht-0a1b2c3d4e5f" is given to two NICs/);
  });
});
