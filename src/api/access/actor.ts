import type { ApiRole } from '../../config/api-access-schema.js';

/**
 * Who is asking, as the access hook found out: a token, a technician's sign-in, the loopback
 * grant, or nobody. `operatorId` is what a mutation records as its operator.
 */
export interface Actor {
  kind: 'token' | 'session' | 'loopback' | 'anonymous';
  /** The token's name, the signed-in operator, `loopback`, or `anonymous`. */
  name: string;
  role: ApiRole | undefined;
  /** Recorded on the mutation: the signed-in operator, else the token's name; undefined for the loopback grant alone. */
  operatorId: string | undefined;
  /** A token's id (safe to show), for the audit. */
  tokenId?: string;
}

export const ANONYMOUS: Actor = Object.freeze({ kind: 'anonymous', name: 'anonymous', role: undefined, operatorId: undefined });

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
    /** The error code the request ended in, for the audit. */
    errorCode: string | undefined;
  }
  interface FastifyContextConfig {
    /** The least role the route needs (docs/api.md, "Roles"); every route declares one. */
    role?: import('./roles.js').RouteRole;
    /** A body limit below the API's 1 MiB for this route (bytes). */
    bodyLimitBytes?: number;
  }
}
