/** NIC records: which VM is on which network, with which MAC and address. */
import { HerdError } from '@herd/api';
import type { Db } from '../store/open-database.js';
import { isUniqueViolation } from '../store/unique-violation.js';
import type { NicRow } from '../store/schema.js';

/** Reads and writes NIC rows. One per daemon. */
export class NicRepo {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** A VM's NICs in guest order. */
  async ofVm(vmId: string): Promise<NicRow[]> {
    return this.#db.selectFrom('nics').selectAll().where('vm_id', '=', vmId).orderBy('position').execute();
  }

  /** NICs on a network. */
  async onNetwork(networkId: string): Promise<NicRow[]> {
    return this.#db.selectFrom('nics').selectAll().where('network_id', '=', networkId).orderBy('created_at').execute();
  }

  /** Every NIC. */
  async all(): Promise<NicRow[]> {
    return this.#db.selectFrom('nics').selectAll().execute();
  }

  /** The NIC with this id, or undefined. */
  async get(id: string): Promise<NicRow | undefined> {
    return this.#db.selectFrom('nics').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The NIC with this MAC, or undefined. */
  async byMac(mac: string): Promise<NicRow | undefined> {
    return this.#db.selectFrom('nics').selectAll().where('mac', '=', mac.toLowerCase()).executeTakeFirst();
  }

  /** Inserts a NIC; a MAC or address already in use is address_conflict. */
  async insert(row: NicRow): Promise<void> {
    try {
      await this.#db.insertInto('nics').values(row).execute();
    } catch (e) {
      if (isUniqueViolation(e, 'nics', 'mac')) throw new HerdError('address_conflict', { reason: `MAC address ${row.mac} is already in use by another NIC; choose another or leave it out`, field: 'mac' });
      if (isUniqueViolation(e, 'nics', 'network_id', 'ip')) throw new HerdError('address_conflict', { reason: `address ${row.ip} is already in use on this network`, field: 'ip' });
      throw e;
    }
  }

  /** Changes a NIC's security groups. */
  async setGroups(id: string, groupIds: readonly string[]): Promise<void> {
    await this.#db.updateTable('nics').set({ security_groups: JSON.stringify(groupIds) }).where('id', '=', id).execute();
  }

  /** Removes a NIC record (its address is free again). */
  async remove(id: string): Promise<void> {
    await this.#db.deleteFrom('nics').where('id', '=', id).execute();
  }
}
