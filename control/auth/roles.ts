import type { Role } from '../../site/schema.ts';

/** What a user may do; every mutating HTTP route names exactly one of these. */
export const PERMISSIONS = [
  'read',
  'drone.command',
  'patrol.manage',
  'dispatch',
  'alarm.manage',
  'broadcast.send',
  'warning.manage',
  'device.manage',
  'sim.manage',
  'config.manage',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const OPERATOR: Permission[] = ['read', 'drone.command', 'patrol.manage', 'dispatch', 'alarm.manage'];

/**
 * Roles from the site file. A chief may do all an operator may plus broadcasts and
 * the warning library; an engineer runs devices, simulators and configuration but does
 * not fly or broadcast (separation of duties: the people who configure are not the
 * people who act on the street).
 */
export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  operator: new Set(OPERATOR),
  chief: new Set([...OPERATOR, 'broadcast.send', 'warning.manage']),
  engineer: new Set(['read', 'device.manage', 'sim.manage', 'config.manage']),
};

export type AccessDecision = { allow: true } | { allow: false; reason: string };

export function authorize(role: Role, permission: Permission): AccessDecision {
  return ROLE_PERMISSIONS[role].has(permission) ? { allow: true } : { allow: false, reason: `role ${role} lacks permission ${permission}` };
}
