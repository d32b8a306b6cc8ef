import type { Handlers } from '../router';

/** Session routes: thin adapters from the contract to the session engine (lifecycle) and the sessions' terminals. */
export const sessionHandlers = {
  'sessions.list': (input, { daemon }) => ({ sessions: daemon.core.sessions.list(input) }),
  'sessions.create': (input, { daemon }) => daemon.core.sessions.create(input),
  'sessions.validate': (input, { daemon }) => daemon.core.sessions.validate(input),
  'sessions.get': ({ id }, { daemon }) => daemon.core.sessions.get(id),
  'sessions.stop': ({ id, timeoutMs }, { daemon }) => daemon.core.sessions.stop(id, timeoutMs),
  'sessions.kill': ({ id }, { daemon }) => daemon.core.sessions.kill(id),
  'sessions.resume': ({ id }, { daemon }) => daemon.core.sessions.resume(id),
  'sessions.send': ({ id, text, newline }, { daemon }) => daemon.core.terminal.send(id, text, newline),
  'sessions.keys': ({ id, keys }, { daemon }) => daemon.core.terminal.keys(id, keys),
  'sessions.permission': ({ id, answer, via }, { daemon }) => daemon.core.terminal.answerPermission(id, answer, via),
  'sessions.output': ({ id, ansi, lines }, { daemon }) => daemon.core.terminal.output(id, { ansi, lines }),
  'sessions.resize': ({ id, cols, rows }, { daemon }) => daemon.core.terminal.resize(id, cols, rows),
  'sessions.rename': ({ id, name }, { daemon }) => daemon.core.sessions.rename(id, name),
  'sessions.events': ({ id, ...options }, { daemon }) => daemon.core.sessions.events(id, options),
} satisfies Pick<
  Handlers,
  | 'sessions.list' | 'sessions.create' | 'sessions.validate' | 'sessions.get' | 'sessions.stop' | 'sessions.kill' | 'sessions.resume'
  | 'sessions.send' | 'sessions.keys' | 'sessions.permission' | 'sessions.output' | 'sessions.resize' | 'sessions.rename' | 'sessions.events'
>;
