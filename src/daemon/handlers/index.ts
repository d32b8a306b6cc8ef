import type { Handlers } from '../router';
import { policyHandlers } from './policies';
import { sessionHandlers } from './sessions';
import { settingsHandlers } from './settings';
import { systemHandlers } from './system';
import { transcriptHandlers } from './transcripts';
import { envSetHandlers } from './env-sets';
import { workspaceHandlers } from './workspaces';

/** Every route's handler; the type makes a route without a handler a compile error. */
export const handlers: Handlers = { ...systemHandlers, ...sessionHandlers, ...policyHandlers, ...transcriptHandlers, ...settingsHandlers, ...envSetHandlers, ...workspaceHandlers };
