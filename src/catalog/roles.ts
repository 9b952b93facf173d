import { FaultlineConfigError } from './config-error.js';
import { type BuiltinRole, standardDefinitions } from './standard.js';
import { wsRoles } from './ws-roles.js';

export { wsRoles, wsTwins } from './ws-roles.js';

const known: ReadonlySet<string> = new Set<string>([
  ...Object.values(standardDefinitions).map((d) => d.role),
  ...wsRoles,
]);

/** The roles an entry claims, checked: each must name a mechanism of faultline, once. */
export function checkRoles(code: string, roles: unknown): BuiltinRole[] {
  if (!Array.isArray(roles)) {
    throw new FaultlineConfigError('FAULTLINE_UNKNOWN_ROLE', `${code} roles must be a list of role names`);
  }
  for (const role of roles) {
    if (typeof role !== 'string' || !known.has(role)) {
      throw new FaultlineConfigError(
        'FAULTLINE_UNKNOWN_ROLE',
        `${code} claims ${JSON.stringify(role)}, which is no role of faultline`,
      );
    }
  }
  return [...new Set(roles as BuiltinRole[])];
}
