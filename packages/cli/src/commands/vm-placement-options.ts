/**
 * Where a VM goes, as options of `herd vm create` (`--host`, `--selector`, `--group`,
 * `--priority`, `--ha`) and of `herd vm set` (`--priority`, `--ha`/`--no-ha`; placement itself
 * cannot change without moving the VM).
 */
import { InvalidArgumentError, type Command } from 'commander';
import { hostNameProblem, LabelKey, LabelValue, maxPlacementGroups, nameProblem, placementPolicies, type PlacementGroup, type PlacementPolicy, type VmCreate, type VmUpdate } from '@herd/api';

/** The parsed placement options. */
export interface PlacementOptions {
  readonly host?: string;
  readonly selector?: Record<string, string>;
  readonly group?: PlacementGroup[];
  readonly priority?: number;
  readonly ha?: boolean;
}

const groupSyntax = 'NAME:POLICY[:soft][:max=N]';
const labelKey = new RegExp(LabelKey.pattern!);
const labelValue = new RegExp(LabelValue.pattern!);

/** Parses `--host`: a host name as hosts register (a DNS name, dots allowed). */
export function parseHost(text: string): string {
  const problem = hostNameProblem(text);
  if (problem) throw new InvalidArgumentError(`${problem}; see \`herd host list\``);
  return text;
}

/** Parses one `--selector KEY=VALUE` into the selector so far. */
export function parseSelector(text: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = text.indexOf('=');
  const key = text.slice(0, at);
  const value = text.slice(at + 1);
  if (at < 0 || !labelKey.test(key) || !labelValue.test(value))
    throw new InvalidArgumentError(`'${text}' is not KEY=VALUE with a label key (a-z, 0-9, '.', '_', '/', '-') and value (letters, digits, '.', '_', '-'), e.g. zone=a`);
  if (Object.hasOwn(previous, key)) throw new InvalidArgumentError(`label ${key} is selected twice; a host has one value per label`);
  return { ...previous, [key]: value };
}

/** Parses one `--group NAME:POLICY[:soft][:max=N]` into the groups so far. */
export function parseGroup(text: string, previous: PlacementGroup[] = []): PlacementGroup[] {
  const [name = '', policy = '', ...flags] = text.split(':');
  const problem = nameProblem(name);
  if (problem) throw new InvalidArgumentError(`group: ${problem}`);
  if (!(placementPolicies as readonly string[]).includes(policy)) throw new InvalidArgumentError(`'${text}' is not ${groupSyntax}: POLICY is ${placementPolicies.join(' or ')}`);
  let hard = true;
  let maxPerHost: number | undefined;
  for (const flag of flags) {
    const max = /^max=(\d{1,4})$/.exec(flag);
    if (flag === 'soft' || flag === 'hard') hard = flag === 'hard';
    else if (max && Number(max[1]) >= 1 && policy === 'anti-affinity') maxPerHost = Number(max[1]);
    else if (max && policy === 'anti-affinity') throw new InvalidArgumentError(`'${text}': max must be 1 or more`);
    else if (max) throw new InvalidArgumentError(`'${text}': max=N limits anti-affinity groups only`);
    else throw new InvalidArgumentError(`'${text}' is not ${groupSyntax}: unknown part '${flag}'`);
  }
  if (previous.some((g) => g.name === name)) throw new InvalidArgumentError(`group ${name} is given twice`);
  if (previous.length >= maxPlacementGroups) throw new InvalidArgumentError(`a VM is in at most ${maxPlacementGroups} groups`);
  return [...previous, { name, policy: policy as PlacementPolicy, hard, ...(maxPerHost !== undefined && { maxPerHost }) }];
}

/** Parses `--priority`: a whole number from -1000 to 1000. */
export function parsePriority(text: string): number {
  if (!/^\s*-?\d{1,4}\s*$/.test(text) || Math.abs(Number(text)) > 1000) throw new InvalidArgumentError(`'${text}' is not a whole number from -1000 to 1000`);
  return Number(text);
}

/** Adds the options to `cmd`: all of them for create; for `set` (forUpdate) only priority and HA, with --no-ha. */
export function addPlacementOptions(cmd: Command, forUpdate = false): Command {
  if (!forUpdate)
    cmd
      .option('--host <name>', 'put the VM on this host (it must still fit there); default: the host the scheduler picks', parseHost)
      .option('--selector <key=value>', "run only on hosts with this label (repeatable; every one must match), e.g. zone=a", parseSelector)
      .option(
        '--group <spec>',
        `put the VM in a placement group (repeatable): ${groupSyntax}, POLICY affinity (together) or anti-affinity (apart); soft: prefer, do not require; max=N: anti-affinity members per host (default 1); e.g. db:anti-affinity or web:affinity:soft`,
        parseGroup,
      );
  cmd.option('--priority <n>', 'order of HA restarts and of VMs placed together, -1000..1000, higher first (default 0)', parsePriority);
  cmd.option('--ha', 'restart the VM on another host when its host fails');
  if (forUpdate) cmd.option('--no-ha', 'do not restart the VM elsewhere when its host fails');
  return cmd;
}

/** The fields of `herd vm set` among the options given (only those given). */
export function placementUpdateFields(o: PlacementOptions): Pick<VmUpdate, 'priority' | 'ha'> {
  return { ...(o.priority !== undefined && { priority: o.priority }), ...(o.ha !== undefined && { ha: o.ha }) };
}

/** The API fields of `herd vm create` for the options given (only those given). */
export function placementFields(o: PlacementOptions): Pick<VmCreate, 'host' | 'placement' | 'priority' | 'ha'> {
  const placement = { ...(o.selector && { selector: o.selector }), ...(o.group && { groups: o.group }) };
  return {
    ...(o.host !== undefined && { host: o.host }),
    ...(Object.keys(placement).length > 0 && { placement }),
    ...placementUpdateFields(o),
  };
}
