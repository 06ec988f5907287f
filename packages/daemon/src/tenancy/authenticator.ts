/**
 * Who is calling: a bearer token, root on the local unix socket (checked by the peer's
 * credentials, as Incus does; also the daemon's own user when it does not run as root, who owns
 * its data anyway), or, on a request another host of the cluster relayed, the user that host
 * signed for (cluster/forward-signature.ts). Everything else is refused with `unauthenticated`.
 */
import { HerdError } from '@herd/api';
import { hostOfActor, rootActor, type ForwardClaim, type ForwardHeaderValues, type ForwardSigner } from '../cluster/forward-signature.js';
import type { UserRow } from '../store/schema.js';
import type { Principal } from './request-scope.js';
import { secretMatches, tokenIdOf } from './token-secret.js';
import type { UserRepo } from './user-repo.js';

/** What a request shows of its caller. */
export interface Credentials {
  /** The Authorization header, if any. */
  readonly authorization?: string;
  /** The uid of the peer process when the request came over the local unix socket. */
  readonly peerUid?: number;
  /** The checked claim of a request another host relayed (see {@link Authenticator.forwardClaim}). */
  readonly forwarded?: ForwardClaim;
}

/** The principal of root on the local socket. */
export const rootPrincipal: Principal = { userId: null, userName: 'root', clusterAdmin: true, via: 'unix-root', roles: new Map() };

/** Turns credentials into a principal. One per daemon. */
export class Authenticator {
  readonly #users: UserRepo;
  readonly #localAdmins: ReadonlySet<number>;
  readonly #signer: ForwardSigner | undefined;

  /** `daemonUid`: the uid the daemon runs as; `signer`: checks requests other hosts relay (none: refuse them). */
  constructor(users: UserRepo, daemonUid: number, signer?: ForwardSigner) {
    this.#users = users;
    this.#localAdmins = new Set([0, daemonUid]);
    this.#signer = signer;
  }

  /**
   * The claim of a request that came through another host, its signature checked in constant
   * time; undefined for a request that carries no forward headers. Throws unauthenticated
   * (401) on a forged, stale or incomplete one, whatever else the request carries.
   */
  forwardClaim(method: string, url: string, project: string | undefined, headers: ForwardHeaderValues): ForwardClaim | undefined {
    if (!this.#signer) {
      if (Object.values(headers).every((v) => v === undefined)) return undefined;
      throw new HerdError('unauthenticated', { reason: 'this host takes no forwarded requests' });
    }
    return this.#signer.verify(method, url, project, headers);
  }

  /** The caller; throws unauthenticated when the credentials prove no one. */
  async authenticate(c: Credentials): Promise<Principal> {
    // An empty acting user: the relaying host left it to this one to authenticate the caller.
    if (c.forwarded && c.forwarded.actingUser !== '') return this.#acting(c.forwarded);
    if (c.authorization !== undefined) {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(c.authorization);
      if (!m) throw new HerdError('unauthenticated', { reason: 'the Authorization header is not `Bearer TOKEN`' });
      return this.#byToken(m[1]!);
    }
    if (c.peerUid !== undefined && this.#localAdmins.has(c.peerUid)) return rootPrincipal;
    if (c.peerUid !== undefined) throw new HerdError('unauthenticated', { reason: `uid ${c.peerUid} on the local socket is not root and sent no token` });
    throw new HerdError('unauthenticated', {});
  }

  /** The principal of user `userId` as they are now (for tickets issued earlier); throws when they are gone. */
  async principalOf(userId: string | null, via: Principal['via']): Promise<Principal> {
    if (userId === null) return { ...rootPrincipal, via };
    const user = await this.#users.get(userId);
    if (!user) throw new HerdError('unauthenticated', { reason: 'the user this was issued to no longer exists' });
    return this.#principal(user, via);
  }

  // The user the relaying host authenticated, as they are here and now.
  async #acting(claim: ForwardClaim): Promise<Principal> {
    if (claim.actingUser === rootActor) return { ...rootPrincipal, via: 'forward' };
    const host = hostOfActor(claim.actingUser);
    if (host !== undefined) {
      if (host !== claim.by) throw new HerdError('unauthenticated', { reason: `host '${claim.by}' may not act as host '${host}'` });
      return { userId: null, userName: claim.actingUser, clusterAdmin: true, via: 'forward', roles: new Map() };
    }
    const user = await this.#users.get(claim.actingUser);
    if (!user) throw new HerdError('unauthenticated', { reason: `the user host '${claim.by}' acts for no longer exists` });
    return this.#principal(user, 'forward');
  }

  async #byToken(secret: string): Promise<Principal> {
    const id = tokenIdOf(secret);
    const row = id ? await this.#users.token(id) : undefined;
    if (!row || !secretMatches(secret, row.hash)) throw new HerdError('unauthenticated', { reason: 'the token is not valid' });
    if (row.revoked_at) throw new HerdError('unauthenticated', { reason: `token '${row.name}' was revoked at ${row.revoked_at}` });
    if (row.expires_at && Date.parse(row.expires_at) <= Date.now()) throw new HerdError('unauthenticated', { reason: `token '${row.name}' expired at ${row.expires_at}` });
    const user = await this.#users.get(row.user_id);
    if (!user) throw new HerdError('unauthenticated', { reason: 'the token belongs to no user' });
    await this.#users.touchToken(row);
    return this.#principal(user, 'token');
  }

  async #principal(user: UserRow, via: Principal['via']): Promise<Principal> {
    const roles = await this.#users.roles(user.id);
    return { userId: user.id, userName: user.name, clusterAdmin: user.cluster_admin === 1, via, roles: new Map(roles.map((r) => [r.projectId, r.role])) };
  }
}
