/**
 * TLS credentials of a running QEMU (`tls-creds-x509` objects), which its migration stream, NBD
 * server and NBD client nodes name by id to encrypt their connections. QEMU reads the
 * credentials' files once, when the object is made, and keeps them in memory; the files can go
 * right after {@link addTlsCreds} (QEMU 7.2, files removed between object-add and the connection):
 *
 *   -> {"execute": "object-add", "arguments": {"qom-type": "tls-creds-x509", "id": "c", "dir": "/run/x/tls", "endpoint": "client"}}
 *   <- {"return": {}}
 *   $ rm -r /run/x/tls
 *   -> {"execute": "blockdev-add", "arguments": {"driver": "nbd", ..., "tls-creds": "c", "tls-hostname": "127.0.0.1"}}
 *   <- {"return": {}}
 *
 * A client with `verify-peer` checks the server's certificate against the CA and the host name
 * it is given, and QEMU says so when they do not match:
 *
 *   <- {"error": {"class": "GenericError", "desc": "Certificate does not match the hostname wrong.example"}}
 */
import { Type } from '@sinclair/typebox';
import type { QmpClient } from './qmp-client.js';
import { QmpCommandError } from './qmp-errors.js';
import { qemuMessage, qomChildren } from './qmp-device.js';
import { EmptyReturnSchema } from './qmp-messages.js';

/** Which side of the connections a QEMU's credentials are for. */
export type TlsEndpoint = 'server' | 'client';

/** Credentials for {@link addTlsCreds}. */
export interface TlsCredsOptions {
  /** The object's QEMU id, which `tls-creds` options name. */
  readonly id: string;
  /**
   * A directory QEMU's own user can read (tls-creds-dir.ts writes one): `ca-cert.pem`, and for a
   * server `server-cert.pem` and `server-key.pem`. Read during this call only.
   */
  readonly dir: string;
  readonly endpoint: TlsEndpoint;
  /**
   * A client: check the server's certificate against the CA and the host name (anything else
   * lets anyone in the middle read the stream). A server: demand a certificate of the client too.
   */
  readonly verifyPeer: boolean;
}

/** QEMU refused the credentials; `qemuMessage` is its reason (a file missing or unreadable, a certificate it rejects). */
export class TlsCredsError extends Error {
  constructor(
    readonly id: string,
    readonly qemuMessage: string,
    options?: ErrorOptions,
  ) {
    super(`TLS credentials ${id} cannot be set up in QEMU: ${qemuMessage}`, options);
    this.name = 'TlsCredsError';
  }
}

const TYPE = 'tls-creds-x509';
const EndpointSchema = Type.Union([Type.Literal('server'), Type.Literal('client')]);

/**
 * Makes the credentials object `options.id` from the files in `options.dir`. Idempotent: an
 * existing object of that id for the same endpoint is kept as it is (its files were read when it
 * was made). Throws {@link TlsCredsError} when QEMU cannot read or accept the files, or when the
 * id is taken by another object or by credentials for the other endpoint. Call while QEMU runs,
 * before the command that names the credentials.
 */
export async function addTlsCreds(qmp: QmpClient, options: TlsCredsOptions): Promise<void> {
  const { id, endpoint } = options;
  const existing = (await qomChildren(qmp, '/objects')).get(id);
  if (existing !== undefined) {
    if (existing !== `child<${TYPE}>`) throw new TlsCredsError(id, `the id is taken by an object of type ${existing}`);
    const has = await qmp.execute('qom-get', { path: `/objects/${id}`, property: 'endpoint' }, EndpointSchema);
    if (has !== endpoint) throw new TlsCredsError(id, `the id is taken by credentials for the ${has} endpoint, not the ${endpoint}`);
    return;
  }
  try {
    await qmp.execute('object-add', { 'qom-type': TYPE, id, dir: options.dir, endpoint, 'verify-peer': options.verifyPeer }, EmptyReturnSchema);
  } catch (e) {
    throw new TlsCredsError(id, qemuMessage(e), { cause: e });
  }
}

/**
 * Removes the credentials object `id`; connections already using it keep it until they end.
 * Idempotent. Call once nothing is to connect with them any more (QEMU would refuse a new
 * connection that names them).
 */
export async function removeTlsCreds(qmp: QmpClient, id: string): Promise<void> {
  if ((await qomChildren(qmp, '/objects')).get(id) !== `child<${TYPE}>`) return;
  try {
    await qmp.execute('object-del', { id }, EmptyReturnSchema);
  } catch (e) {
    // Removed meanwhile by another QMP client.
    if (!(e instanceof QmpCommandError && /not found/.test(e.desc))) throw new TlsCredsError(id, qemuMessage(e), { cause: e });
  }
}
