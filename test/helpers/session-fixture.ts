import type { Session } from '../../src/core/api/sessions';

/** A session as the daemon describes one, for tests that draw or reduce fixed data: what matters is given, the rest is plain. */
export function sessionFixture(fields: Pick<Session, 'id' | 'state' | 'createdAt'> & Partial<Session>): Session {
  return {
    name: fields.id,
    provider: 'claude-code',
    cwd: '/work',
    args: [],
    envKeys: [],
    envFrom: 'daemon',
    cleanEnv: false,
    envSetIds: [],
    workspaceId: null,
    dangerousMode: false,
    billingMode: null,
    cols: 120,
    rows: 40,
    tmuxSession: `cp-${fields.id}`,
    agentSessionId: null,
    transcriptPath: null,
    stateSource: 'screen',
    stateSince: fields.createdAt,
    exitCode: null,
    exitSignal: null,
    updatedAt: fields.createdAt,
    worktree: null,
    ...fields,
  };
}
