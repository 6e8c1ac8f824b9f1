/**
 * Who Discord counts among the bot's operators: a member with Manage Server (MANAGE_GUILD, 1 << 5;
 * Administrator implies it) in the interaction's `member.permissions` — the member's total
 * permissions in the channel, sent with every interaction in a server
 * (https://discord.com/developers/docs/resources/guild#guild-member-object) — or a member holding a
 * role the operator named in DISCORD_ADMIN_ROLES (by id or name). Nobody in a DM: there is no member.
 */
import { PermissionFlagsBits, type ButtonInteraction, type ChatInputCommandInteraction } from 'discord.js';

/** Whether a role (id and, where known, name) is one of the named ones; names compare without case. */
function named(adminRoles: string[], role: { id: string; name?: string }): boolean {
  return adminRoles.some((r) => r === role.id || (role.name !== undefined && r.toLowerCase() === role.name.toLowerCase()));
}

/** The member's roles: from the cached guild (with names), or the raw ids the interaction carried. */
function rolesOf(interaction: ChatInputCommandInteraction | ButtonInteraction): { id: string; name?: string }[] {
  if (interaction.inCachedGuild()) return interaction.member.roles.cache.map((role) => ({ id: role.id, name: role.name }));
  const raw = (interaction.member as { roles?: unknown } | null)?.roles;
  return Array.isArray(raw) ? raw.map((id) => ({ id: String(id) })) : [];
}

export function isOperator(interaction: ChatInputCommandInteraction | ButtonInteraction, adminRoles: string[]): boolean {
  if (!interaction.inGuild()) return false;
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) return true;
  return adminRoles.length > 0 && rolesOf(interaction).some((role) => named(adminRoles, role));
}

/** A reaction's packet carries the member's role ids, not their permissions: only a named role counts there. */
export function isOperatorByRoleIds(roleIds: string[] | undefined, adminRoles: string[]): boolean {
  return adminRoles.length > 0 && (roleIds ?? []).some((id) => named(adminRoles, { id }));
}
