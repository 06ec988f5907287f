/**
 * Parsers for the network options: `--network NAME[,ip=IP][,mac=MAC][,secgroup=G]...`,
 * `--dhcp-range START-END`, `--port 80|8000-8100` and group lists. They check the forms here so
 * that a typo is answered in terms of the option typed rather than of the API field it becomes.
 */
import { InvalidArgumentError } from 'commander';
import { nameProblem, type NicAdd } from '@herd/api';

const ipv4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const mac = /^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$/;

/** Whether `text` is a dotted IPv4 address. */
export function isIpv4(text: string): boolean {
  return ipv4.test(text);
}

/**
 * Parses one `--network` value into the NIC to add: a network name, then optional `ip=`, `mac=`
 * and `secgroup=` (repeatable) settings separated by commas.
 */
export function parseNicSpec(text: string): NicAdd {
  const [network = '', ...settings] = text.split(',').map((s) => s.trim());
  const problem = nameProblem(network);
  if (problem) throw new InvalidArgumentError(`${problem} (the form is NAME[,ip=IP][,mac=MAC][,secgroup=GROUP]...)`);
  const nic: { network: string; ip?: string; mac?: string; securityGroups?: string[] } = { network };
  for (const setting of settings) {
    const eq = setting.indexOf('=');
    const key = eq < 0 ? setting : setting.slice(0, eq);
    const value = eq < 0 ? '' : setting.slice(eq + 1);
    if (key === 'ip') {
      if (!isIpv4(value)) throw new InvalidArgumentError(`ip=${value} is not an IPv4 address such as 10.0.0.5`);
      nic.ip = value;
    } else if (key === 'mac') {
      if (!mac.test(value)) throw new InvalidArgumentError(`mac=${value} is not a MAC address such as 52:54:00:12:34:56`);
      nic.mac = value.toLowerCase();
    } else if (key === 'secgroup') {
      nic.securityGroups = [...(nic.securityGroups ?? []), checkGroup(value)];
    } else {
      throw new InvalidArgumentError(`'${setting}' is not a NIC setting; use ip=IP, mac=MAC or secgroup=GROUP after the network name`);
    }
  }
  return nic;
}

/** Parses `--ip`. */
export function parseIp(text: string): string {
  if (!isIpv4(text)) throw new InvalidArgumentError(`'${text}' is not an IPv4 address such as 10.0.0.5`);
  return text;
}

/** Parses `--mac`. */
export function parseMac(text: string): string {
  if (!mac.test(text)) throw new InvalidArgumentError(`'${text}' is not a MAC address such as 52:54:00:12:34:56`);
  return text.toLowerCase();
}

/** Adds one `--secgroup` value to those given before. */
export function collectGroup(text: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), checkGroup(text)];
}

/** Parses a comma-separated list of security groups; the empty string is the empty list. */
export function parseGroupList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(checkGroup);
}

/** Parses `--dhcp-range START-END`. */
export function parseDhcpRange(text: string): { start: string; end: string } {
  const [start = '', end = '', ...rest] = text.split('-').map((s) => s.trim());
  if (rest.length || !isIpv4(start) || !isIpv4(end))
    throw new InvalidArgumentError(`'${text}' is not a range of two IPv4 addresses, such as 10.0.0.100-10.0.0.200`);
  return { start, end };
}

/** Parses `--port 80` or `--port 8000-8100` into the range it allows. */
export function parsePortRange(text: string): { portFrom: number; portTo: number } {
  const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5})\s*)?$/.exec(text);
  const portFrom = Number(m?.[1]);
  const portTo = m?.[2] === undefined ? portFrom : Number(m[2]);
  if (!m || portFrom < 1 || portTo > 65535) throw new InvalidArgumentError(`'${text}' is not a port (1-65535) or a range such as 8000-8100`);
  if (portTo < portFrom) throw new InvalidArgumentError(`'${text}' ends before it starts; write the lower port first`);
  return { portFrom, portTo };
}

/** An integer option limited to `min`..`max` (`--vlan`, `--mtu`). */
export function intBetween(min: number, max: number): (text: string) => number {
  return (text) => {
    const n = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
    if (!(n >= min && n <= max)) throw new InvalidArgumentError(`'${text}' must be a whole number from ${min} to ${max}`);
    return n;
  };
}

function checkGroup(name: string): string {
  const problem = nameProblem(name);
  if (problem) throw new InvalidArgumentError(`security group: ${problem}`);
  return name;
}
