import type { AnalyticsFilter } from '../../core/analytics/analytics';
import type { DaemonContext } from '../context';
import type { Handlers } from '../router';

interface ScopeInput {
  range?: AnalyticsFilter['range'];
  since?: string;
  until?: string;
  tz?: string;
  cwd?: string;
  project?: string;
  session?: string;
}

/** The report scope of an analytics request: its range and, by directory or session, which conversations count. */
function scope(input: ScopeInput, daemon: DaemonContext): AnalyticsFilter {
  const { session, project, cwd, ...range } = input;
  return {
    ...range,
    ...(cwd || project ? { cwd: cwd ?? project } : {}),
    ...(session ? { sessionId: daemon.core.library.resolve(session).id } : {}),
  };
}

/** The managed session (if any) behind a `session` filter, for reports read from the policy audit log. */
function managedId(session: string | undefined, daemon: DaemonContext): string | undefined {
  if (!session) return undefined;
  try {
    return daemon.core.sessions.resolve(session).id;
  } catch {
    return daemon.core.library.resolve(session).managed_id ?? '\0none';
  }
}

/** Analytics, search, the session library and tags. */
export const transcriptHandlers = {
  'analytics.overview': (input, { daemon }) => daemon.core.analytics.overview(scope(input, daemon)),
  'analytics.activityTimeline': ({ granularity, ...input }, { daemon }) => daemon.core.analytics.activityTimeline({ ...scope(input, daemon), granularity }),
  'analytics.tokenUsage': (input, { daemon }) => daemon.core.analytics.tokenUsage(scope(input, daemon)),
  'analytics.monthly': (input, { daemon }) => daemon.core.analytics.monthly(scope(input, daemon)),
  'analytics.sessionUsage': (input, { daemon }) => daemon.core.analytics.sessionUsage(scope(input, daemon)),
  'analytics.blocks': (input, { daemon }) => daemon.core.analytics.blocks(input),
  'analytics.tokensByModel': (input, { daemon }) => daemon.core.analytics.tokensByModel(scope(input, daemon)),
  'analytics.sessionsByProvider': (input, { daemon }) => daemon.core.analytics.sessionsByProvider(scope(input, daemon)),
  'analytics.toolUsage': ({ limit, ...input }, { daemon }) => daemon.core.analytics.toolUsage({ ...scope(input, daemon), limit }),
  'analytics.policyDecisions': ({ session, cwd: _cwd, project: _project, ...range }, { daemon }) =>
    daemon.core.analytics.policyDecisions({ ...range, managedSessionId: managedId(session, daemon) }),

  search: ({ session, ...input }, { daemon }) =>
    daemon.core.search.search({ ...input, ...(session ? { sessionId: daemon.core.library.resolve(session).id } : {}) }),

  'library.sessions': (input, { daemon }) => daemon.core.library.list(input),
  'library.get': ({ id, limit, offset }, { daemon }) => daemon.core.library.get(id, { limit, offset }),
  'library.rename': ({ id, name }, { daemon }) => daemon.core.library.rename(id, name),
  'library.favourite': ({ id, favourite }, { daemon }) => daemon.core.library.setFavourite(id, favourite),
  'library.favourites': ({ limit, offset }, { daemon }) => daemon.core.library.list({ favourite: true, limit, offset }),
  'library.addTag': ({ id, tag }, { daemon }) => daemon.core.library.tagSession(id, tag, true),
  'library.removeTag': ({ id, tag }, { daemon }) => daemon.core.library.tagSession(id, tag, false),
  'library.export': ({ id, format }, { daemon }) => daemon.core.library.export(id, format),
  'library.delete': ({ id }, { daemon }) => daemon.core.library.delete(id),
  'library.restore': ({ id }, { daemon }) => daemon.core.library.restore(id, (file, provider) => daemon.core.transcripts.indexNow(file, provider)),
  'library.stats': (_input, { daemon }) => ({ ...daemon.core.library.stats(), scan: daemon.core.transcripts.status() }),
  'library.scan': async ({ wait }, { daemon }) => {
    const running = daemon.core.transcripts.scan();
    return wait ? await running : daemon.core.transcripts.status();
  },
  'library.scanStatus': (_input, { daemon }) => daemon.core.transcripts.status(),

  'tags.list': (_input, { daemon }) => ({ tags: daemon.core.library.listTags() }),
  'tags.create': (input, { daemon }) => daemon.core.library.createTag(input),
  'tags.update': ({ id, ...changes }, { daemon }) => daemon.core.library.updateTag(id, changes),
  'tags.delete': ({ id }, { daemon }) => daemon.core.library.deleteTag(id),
} satisfies Partial<Handlers>;
