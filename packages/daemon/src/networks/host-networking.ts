/** Whether this host lets herd manage networks, and what routes it already has. */
import { commandExists, run } from '../host/exec.js';

/**
 * Why herd cannot make bridges, taps, nftables rules and DHCP servers here, or undefined when
 * it can: it needs root and the ip, nft and dnsmasq tools.
 */
export async function networkingUnavailable(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'the daemon does not run as root; VMs get QEMU user-mode networking (use port forwards to reach them)';
  const missing: string[] = [];
  for (const [cmd, pkg] of [['ip', 'iproute2'], ['nft', 'nftables'], ['dnsmasq', 'dnsmasq-base']] as const) if (!(await commandExists(cmd))) missing.push(pkg);
  if (missing.length) return `missing ${missing.join(', ')}: apt install ${missing.join(' ')}`;
  return undefined;
}

/** Destinations of the host's IPv4 routes (`10.0.0.0/8`, `192.168.1.0/24`, `default`). */
export async function hostRoutes(): Promise<string[]> {
  const r = await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all'], { timeoutMs: 10_000, allowFailure: true });
  try {
    return (JSON.parse(r.stdout) as { dst?: string }[]).flatMap((x) => (x.dst ? [x.dst] : []));
  } catch {
    return [];
  }
}
