/**
 * The one error catalogue of herd: every error the API can return has a code here, with its
 * HTTP status and a message template that says what went wrong and what to do about it.
 * The daemon, the CLI and the web UI all use these codes; a test checks that the OpenAPI
 * document lists them.
 */

/** Parameters a message template may use. */
export type ErrorParams = Readonly<Record<string, string | number | undefined>>;

interface CatalogueEntry {
  readonly status: number;
  readonly message: (p: ErrorParams) => string;
}

/** Every error code herd's API returns, with its HTTP status and message template. */
export const errorCatalogue = {
  validation_failed: {
    status: 400,
    message: (p) => `${p.field ? `${p.field}: ` : ''}${p.reason ?? 'the request is not valid'}`,
  },
  bad_request: { status: 400, message: (p) => `${p.reason ?? 'the request is not valid'}` },
  unsupported_media_type: {
    status: 415,
    message: (p) => `content type '${p.type}' is not supported; send JSON with content-type: application/json`,
  },
  not_found: {
    status: 404,
    message: (p) => `${p.kind ?? 'resource'} '${p.name}' does not exist; ${p.hint ?? `list them with \`herd ${p.kind ?? 'vm'} list\``}`,
  },
  route_not_found: {
    status: 404,
    message: (p) => `no API route ${p.method} ${p.url}; see /api/v1/openapi.json for the routes herd serves`,
  },
  name_taken: {
    status: 409,
    message: (p) => `a ${p.kind ?? 'resource'} named '${p.name}' already exists; choose another name or delete the existing one`,
  },
  action_not_allowed: {
    status: 409,
    message: (p) =>
      `cannot ${p.action} VM '${p.name}' while it is ${p.state}${p.allowed ? `; allowed now: ${p.allowed}` : ''}`,
  },
  image_in_use: {
    status: 409,
    message: (p) => `image '${p.name}' is used by ${p.users}; delete those VMs first`,
  },
  image_unusable: {
    status: 422,
    message: (p) => `image '${p.name}' cannot be used: ${p.reason}`,
  },
  image_source_invalid: {
    status: 422,
    message: (p) => `cannot import '${p.path}': ${p.reason}`,
  },
  checksum_mismatch: {
    status: 422,
    message: (p) =>
      `the sha256 of '${p.source}' is ${p.actual}, not the expected ${p.expected}; nothing was kept. Check the checksum and the source, then import again`,
  },
  download_failed: {
    status: 502,
    message: (p) =>
      `cannot download '${p.url}': ${p.reason}; check that the URL is right and that the daemon host can reach it, then import again`,
  },
  disk_too_small: {
    status: 422,
    message: (p) =>
      `the root disk must be at least as large as image '${p.image}' (${p.imageSize}); ${p.requested} was requested`,
  },
  insufficient_space: {
    status: 507,
    message: (p) =>
      `pool '${p.pool}' has ${p.free} free and ${p.requested} was asked for; free space in the pool, grow it, or use another pool (\`herd pool list\`)`,
  },
  pool_in_use: {
    status: 409,
    message: (p) => `pool '${p.name}' still holds ${p.volumes}; delete or move those volumes first`,
  },
  pool_unusable: {
    status: 422,
    message: (p) => `pool '${p.name}' cannot be used: ${p.reason}`,
  },
  volume_in_use: {
    status: 409,
    message: (p) => `volume '${p.name}' is ${p.reason}; ${p.hint ?? 'detach it first'}`,
  },
  shrink_refused: {
    status: 422,
    message: (p) =>
      `volume '${p.name}' is ${p.current} and ${p.requested} was asked for; volumes only grow (shrinking would cut off data the guest may use)`,
  },
  snapshot_unsupported: {
    status: 422,
    message: (p) => `cannot snapshot VM '${p.name}': ${p.reason}`,
  },
  backup_invalid: {
    status: 422,
    message: (p) => `cannot use backup '${p.archive}': ${p.reason}`,
  },
  network_in_use: {
    status: 409,
    message: (p) => `network '${p.name}' is used by ${p.users}; remove those NICs first`,
  },
  secgroup_in_use: {
    status: 409,
    message: (p) => `security group '${p.name}' is attached to ${p.nics} NIC(s); detach it first (herd vm nic set-groups VM NIC '')`,
  },
  address_conflict: {
    status: 409,
    message: (p) => `${p.reason}`,
  },
  no_host_fits: {
    status: 409,
    message: (p) =>
      `${p.summary ?? `no host fits VM '${p.vm ?? p.name}'`}; free room on a host, ask for less, or relax the VM's host, selector or groups (details.hosts has each host's reason)`,
  },
  addresses_exhausted: {
    status: 409,
    message: (p) => `network '${p.name}' has no free address left in ${p.range}; widen its DHCP range or remove NICs`,
  },
  networking_unavailable: {
    status: 422,
    message: (p) => `herd networks are not available: ${p.reason}`,
  },
  display_unavailable: {
    status: 409,
    message: (p) => `VM '${p.name}' has no graphical console now: ${p.reason}`,
  },
  ticket_invalid: {
    status: 401,
    message: (p) =>
      `the console ticket ${p.reason ?? 'is not valid'}; ask for a new one (POST /api/v1/vms/${p.name ?? '{id}'}/console-tickets): tickets are single use and valid for 30 s`,
  },
  ticket_wrong_vm: {
    status: 403,
    message: (p) => `the console ticket was issued for another VM, not '${p.name}'; ask for a ticket for VM '${p.name}'`,
  },
  unauthenticated: {
    status: 401,
    message: (p) =>
      `${p.reason ?? 'no API token was sent'}; send \`Authorization: Bearer TOKEN\` (\`herd login\`, or a token from \`herd user token create\`)`,
  },
  forbidden: {
    status: 403,
    message: (p) => `${p.who} may not ${p.action}${p.project ? ` in project '${p.project}'` : ''}: ${p.reason}`,
  },
  project_required: {
    status: 400,
    message: (p) => `say which project to act in (header x-herd-project, \`herd --project NAME\`); you have roles in ${p.projects}`,
  },
  quota_exceeded: {
    status: 403,
    message: (p) =>
      `project '${p.project}' would exceed its ${p.resource} limit: the limit is ${p.limit}, it uses ${p.used} and this asks for ${p.requested}; free some up or ask a cluster admin to raise the limit (\`herd project set-limits\`)`,
  },
  project_not_empty: {
    status: 409,
    message: (p) => `project '${p.name}' still has ${p.what}; delete them first`,
  },
  host_alive: {
    status: 409,
    message: (p) =>
      `host '${p.name}' is still alive (last heartbeat ${p.heartbeatAt}, lease until ${p.leaseExpiresAt}); stop herd on it and wait until its lease has run out, then remove it`,
  },
  host_not_empty: {
    status: 409,
    message: (p) => `host '${p.name}' still has ${p.vms}; delete those VMs or move them to another host first`,
  },
  websocket_required: {
    status: 426,
    message: (p) => `${p.path ?? 'this route'} is a WebSocket; connect with a WebSocket client (Upgrade: websocket)`,
  },
  accel_unavailable: {
    status: 422,
    message: (p) => `accelerator '${p.accel}' is not usable on this host (${p.reason}); use accel 'auto' or 'tcg'`,
  },
  operation_failed: {
    status: 500,
    message: (p) => `${p.kind ?? 'operation'} failed: ${p.reason}`,
  },
  qemu_failed: {
    status: 500,
    message: (p) => `QEMU could not ${p.action ?? 'start'} VM '${p.name}': ${p.reason}`,
  },
  operation_cancelled: {
    status: 409,
    message: (p) => `operation ${p.id} was superseded: ${p.reason}`,
  },
  timeout: {
    status: 504,
    message: (p) => `timed out after ${p.seconds} s waiting for ${p.what}; the operation goes on, follow it with \`herd op wait ${p.id}\``,
  },
  audit_unavailable: {
    status: 503,
    message: (p) =>
      `herd refuses changes while it cannot write the audit log (${p.reason}); fix the cause (disk space, permissions of the data directory) — the next request that can be recorded lifts the refusal`,
  },
  host_unavailable: {
    status: 503,
    message: (p) =>
      `${p.vm ? `VM '${p.vm}' runs on host '${p.host}', which` : `host '${p.host}'`} ${p.reason ?? 'cannot be reached'} (last heartbeat ${p.heartbeatAt ?? 'unknown'}); retry in a moment, or, if the host is down for good, wait for HA to restart its VMs elsewhere (those with ha set)`,
  },
  vm_moved: {
    status: 503,
    message: (p) =>
      `VM '${p.vm}' is on host '${p.host}' now, not on '${p.here}', to which '${p.from}' forwarded this request; retry it (hosts forward a request once, and the next try goes to the right host)`,
  },
  migration_refused: {
    status: 409,
    message: (p) => `cannot migrate VM '${p.name}': ${p.reason}`,
  },
  internal: {
    status: 500,
    message: (p) => `internal error: ${p.reason ?? 'unexpected failure'}; the daemon log has details`,
  },
} as const satisfies Record<string, CatalogueEntry>;

/** A code of the error catalogue. */
export type ErrorCode = keyof typeof errorCatalogue;

/** All error codes, for schemas and docs. */
export const errorCodes = Object.keys(errorCatalogue) as ErrorCode[];

/** The JSON body of every error response: `{error: {code, message, details}}`. */
export interface ErrorBody {
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly details: Readonly<Record<string, unknown>>;
  };
}

/** An error of the catalogue, thrown by the daemon and rebuilt by the client from a response. */
export class HerdError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly details: Readonly<Record<string, unknown>> = {},
    message?: string,
  ) {
    super(message ?? errorCatalogue[code].message(details as ErrorParams));
    this.name = 'HerdError';
    this.status = errorCatalogue[code].status;
  }

  /** The response body for this error. */
  toBody(): ErrorBody {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/** Reports whether `value` is an error code of the catalogue. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCatalogue, value);
}
