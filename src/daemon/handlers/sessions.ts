import type { Handlers } from '../router';

/** Session routes: thin adapters from the contract to the session engine. */
export const sessionHandlers = {
  'sessions.list': (input, { daemon }) => ({ sessions: daemon.sessions.list(input) }),
  'sessions.create': (input, { daemon }) => daemon.sessions.create(input),
  'sessions.validate': (input, { daemon }) => daemon.sessions.validate(input),
  'sessions.get': ({ id }, { daemon }) => daemon.sessions.get(id),
  'sessions.stop': ({ id, timeoutMs }, { daemon }) => daemon.sessions.stop(id, timeoutMs),
  'sessions.kill': ({ id }, { daemon }) => daemon.sessions.kill(id),
  'sessions.resume': ({ id }, { daemon }) => daemon.sessions.resume(id),
  'sessions.send': ({ id, text, newline }, { daemon }) => daemon.sessions.send(id, text, newline),
  'sessions.keys': ({ id, keys }, { daemon }) => daemon.sessions.keys(id, keys),
  'sessions.permission': ({ id, answer }, { daemon }) => daemon.sessions.answerPermission(id, answer),
  'sessions.output': ({ id, ansi, lines }, { daemon }) => daemon.sessions.output(id, { ansi, lines }),
  'sessions.resize': ({ id, cols, rows }, { daemon }) => daemon.sessions.resize(id, cols, rows),
  'sessions.rename': ({ id, name }, { daemon }) => daemon.sessions.rename(id, name),
  'sessions.events': ({ id, ...options }, { daemon }) => daemon.sessions.events(id, options),
} satisfies Pick<
  Handlers,
  | 'sessions.list' | 'sessions.create' | 'sessions.validate' | 'sessions.get' | 'sessions.stop' | 'sessions.kill' | 'sessions.resume'
  | 'sessions.send' | 'sessions.keys' | 'sessions.permission' | 'sessions.output' | 'sessions.resize' | 'sessions.rename' | 'sessions.events'
>;
