import type { Handlers } from '../router';
import { gitHandlers } from './git';
import { policyHandlers } from './policies';
import { sessionHandlers } from './sessions';
import { systemHandlers } from './system';
import { transcriptHandlers } from './transcripts';

/** Every route's handler; the type makes a route without a handler a compile error. */
export const handlers: Handlers = { ...systemHandlers, ...sessionHandlers, ...policyHandlers, ...transcriptHandlers, ...gitHandlers };
