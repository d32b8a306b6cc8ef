import { describe, expect, it } from 'vitest';
import { isRouteAccess, ROUTE_ACCESS_LEVELS, routes } from '../../src/core/api';
import { STREAM_ACCESS } from '../../src/core/api/events';

/** Names of the routes whose access is missing or not one of the levels, checked on the data, not through the types. */
function routesWithoutLevel(list: ReadonlyArray<{ name: string; access?: unknown }>): string[] {
  return list.filter((route) => !isRouteAccess(route.access)).map((route) => route.name);
}

/** Route names per level, each list sorted; a level nobody uses still appears, empty. */
function byLevel(list: ReadonlyArray<{ name: string; access: string }>): Record<string, string[]> {
  const grouped: Record<string, string[]> = Object.fromEntries(ROUTE_ACCESS_LEVELS.map((level) => [level, []]));
  for (const route of list) (grouped[route.access] ??= []).push(route.name);
  for (const names of Object.values(grouped)) names.sort();
  return grouped;
}

describe('access levels of the contract', () => {
  it('are exactly public, read, write, admin and local', () => {
    expect(ROUTE_ACCESS_LEVELS).toEqual(['public', 'read', 'write', 'admin', 'local']);
  });

  it('gives every route a known level', () => {
    expect(routes.length).toBeGreaterThan(0);
    expect(routesWithoutLevel(routes)).toEqual([]);
  });

  it('notices a route with no level or an unknown one', () => {
    const list = [
      { name: 'fine', access: 'read' },
      { name: 'missing' },
      { name: 'old', access: 'any' },
      { name: 'cased', access: 'Admin' },
    ];
    expect(routesWithoutLevel(list)).toEqual(['missing', 'old', 'cased']);
  });

  // The whole table at a glance: a new route, or a changed level, has to be written here too.
  it('puts each route at the level the table below says', () => {
    expect(byLevel(routes)).toEqual({
      public: ['auth.login', 'auth.setup', 'auth.status', 'health', 'version'],
      read: [
        'analytics.activityTimeline',
        'analytics.blocks',
        'analytics.monthly',
        'analytics.overview',
        'analytics.policyDecisions',
        'analytics.sessionUsage',
        'analytics.sessionsByProvider',
        'analytics.tokenUsage',
        'analytics.tokensByModel',
        'analytics.toolUsage',
        'api.openapi',
        'auth.logout',
        'envSets.get',
        'envSets.list',
        'git.branches',
        'git.diff',
        'git.diffStat',
        'git.file',
        'git.fileRaw',
        'git.log',
        'git.status',
        'hooks.status',
        'library.export',
        'library.favourites',
        'library.get',
        'library.scanStatus',
        'library.sessions',
        'library.stats',
        'notify.log',
        'policies.get',
        'policies.list',
        'policyDecisions.list',
        'policySets.get',
        'policySets.list',
        'providers.list',
        'search',
        'sessions.effectivePolicies',
        'sessions.events',
        'sessions.get',
        'sessions.list',
        'sessions.model',
        'sessions.output',
        'sessions.policy',
        'sessions.policySets',
        'sessions.terminalInfo',
        'sessions.terminalSearch',
        'sessions.turns',
        'settings.get',
        'tags.list',
        'web.status',
        'workspaces.get',
        'workspaces.list',
        'worktrees.list',
      ],
      write: [
        'git.checkout',
        'git.commit',
        'git.discard',
        'git.stage',
        'git.unstage',
        'library.addTag',
        'library.delete',
        'library.favourite',
        'library.removeTag',
        'library.rename',
        'library.restore',
        'library.scan',
        'sessions.keys',
        'sessions.kill',
        'sessions.permission',
        'sessions.rename',
        'sessions.resize',
        'sessions.resume',
        'sessions.send',
        'sessions.setModel',
        'sessions.stop',
        'sessions.terminalMode',
        'sessions.terminalScroll',
        'sessions.uploadImage',
        'tags.create',
        'tags.delete',
        'tags.update',
        'worktrees.prune',
        'worktrees.remove',
      ],
      admin: [
        'auth.log',
        'auth.mfaSetup',
        'auth.mfaVerify',
        'auth.password',
        'auth.revokeSessions',
        'auth.sessions',
        'envSets.create',
        'envSets.delete',
        'envSets.update',
        'notify.test',
        'policies.create',
        'policies.delete',
        'policies.update',
        'policySets.addPolicy',
        'policySets.create',
        'policySets.delete',
        'policySets.removePolicy',
        'policySets.update',
        'sessions.addPolicySet',
        'sessions.create',
        'sessions.removePolicySet',
        'sessions.setPolicy',
        'sessions.validate',
        'sessions.validateGit',
        'settings.restart',
        'settings.update',
        'tokens.create',
        'tokens.list',
        'tokens.revoke',
        'workspaces.create',
        'workspaces.delete',
        'workspaces.update',
      ],
      local: ['auth.bootstrap', 'auth.resetMfa', 'auth.resetPassword', 'daemon.info', 'daemon.shutdown', 'hooks.claude'],
    });
  });

  it('keeps starting programs for admin and stopping the daemon for the socket', () => {
    const level = (name: string) => routes.find((route) => route.name === name)?.access;
    expect(level('sessions.create')).toBe('admin');
    expect(level('daemon.shutdown')).toBe('local');
  });

  it('declares the event stream read-only: it carries every session\'s output', () => {
    expect(STREAM_ACCESS).toBe('read');
  });
});
