import { API_ROLES, type ApiRole } from '../../config/api-access-schema.js';

/**
 * What a route needs: a role, or `public` for what carries no data and must load before anyone
 * signs in (the dashboard's page and assets, the sign-in itself).
 */
export type RouteRole = ApiRole | 'public';
export const ROUTE_ROLES: readonly RouteRole[] = ['public', ...API_ROLES];

/** Whether `held` includes the rights of `needed`: the roles are ordered, each holds those below it. */
export function roleSatisfies(held: ApiRole | undefined, needed: RouteRole): boolean {
  if (needed === 'public') return true;
  return held !== undefined && API_ROLES.indexOf(held) >= API_ROLES.indexOf(needed);
}

export function higherRole(a: ApiRole | undefined, b: ApiRole | undefined): ApiRole | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return API_ROLES.indexOf(a) >= API_ROLES.indexOf(b) ? a : b;
}
