/**
 * The networks a VM is created on, as the create form offers them: `default` is chosen at
 * first when it exists (as the daemon would), and the form's choice becomes `nics`.
 */
import { HerdError, type NicAdd } from '@herd/api';
import { errorField } from './errors.js';

/** The networks chosen before the user picks: `default` when it exists, else none. */
export function initialNetworks(available: readonly string[]): readonly string[] {
  return available.includes('default') ? ['default'] : [];
}

/**
 * The `nics` of the create request: one NIC per chosen network that still exists. Undefined
 * (the daemon's default) while no network is known, since then there was nothing to choose.
 */
export function nicsFor(available: readonly string[] | undefined, chosen: readonly string[]): NicAdd[] | undefined {
  if (!available?.length) return undefined;
  return chosen.filter((n) => available.includes(n)).map((network) => ({ network }));
}

// Refusals that are about the networks chosen though they name no field of the form.
const networkCodes: ReadonlySet<string> = new Set(['addresses_exhausted', 'address_conflict', 'networking_unavailable']);

/** Whether an error of the create request is about its NICs. */
export function isNicError(e: unknown): boolean {
  if (errorField(e)?.startsWith('nics')) return true;
  return e instanceof HerdError && networkCodes.has(e.code);
}
