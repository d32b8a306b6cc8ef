import type { Handlers } from '../router';
import { controlHandlers } from './controls';
import { gitHandlers } from './git';
import { policyHandlers } from './policies';
import { sessionHandlers } from './sessions';
import { settingsHandlers } from './settings';
import { systemHandlers } from './system';
import { transcriptHandlers } from './transcripts';
import { envSetHandlers } from './env-sets';
import { workspaceHandlers } from './workspaces';
import { worktreeHandlers } from './worktrees';
import { webHandlers } from './web';
import { authHandlers, tokenHandlers } from './auth';
import { notifyHandlers } from './notify';

/** Every route's handler; the type makes a route without a handler a compile error. */
export const handlers: Handlers = { ...systemHandlers, ...sessionHandlers, ...policyHandlers, ...transcriptHandlers, ...settingsHandlers, ...controlHandlers, ...gitHandlers, ...worktreeHandlers, ...envSetHandlers, ...workspaceHandlers, ...webHandlers, ...authHandlers, ...tokenHandlers, ...notifyHandlers };
