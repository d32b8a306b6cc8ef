import { z } from 'zod';
import { RANGES } from '../analytics/range';
import { EXPORT_FORMATS } from '../library/export';
import { SEARCH_ROLES } from '../search/search';
import { queryFlag } from './fields';
import { defineRoute } from './route';

const TRANSCRIPT_PROVIDERS = ['claude-code', 'codex'] as const;
const idParam = z.strictObject({ id: z.string().min(1) });
const day = /^\d{4}-\d{2}-\d{2}$/;
const bound = z.string().refine((v) => day.test(v) || /^\d{4}-\d{2}-\d{2}T/.test(v), 'a day (YYYY-MM-DD) or an ISO time');

/** range / since / until / tz and the scope of a report, shared by every analytics route. */
const analyticsInput = z.strictObject({
  range: z.enum(RANGES).optional().describe('today | 7d | 30d | all (default 30d, or all when since/until are given)'),
  since: bound.optional(),
  until: bound.optional().describe('inclusive when a day'),
  tz: z.string().min(1).max(64).optional().describe('IANA time zone days are counted in (default: the system zone)'),
  cwd: z.string().min(1).optional().describe('only sessions in this directory or below it'),
  project: z.string().min(1).optional().describe('same as cwd'),
  session: z.string().min(1).optional().describe('only this library session (id, prefix, or a managed session)'),
});

const tokens = {
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheCreationTokens: z.number(),
  cacheReadTokens: z.number(),
  totalTokens: z.number(),
  totalCost: z.number(),
};
const tokenTotals = z.object(tokens);
const rangeOut = z.object({ from: z.string().nullable(), to: z.string().nullable(), tz: z.string() });

const skipped = z.object({ badLines: z.number(), binary: z.number(), unreadable: z.number(), vanished: z.number(), oversizedLines: z.number() });
export const scanProgressSchema = z.object({
  running: z.boolean(),
  phase: z.enum(['tokens', 'messages']).nullable(),
  startedAt: z.string().nullable(),
  tokensFinishedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  filesTotal: z.number(),
  filesDone: z.number(),
  filesChanged: z.number(),
  bytesTotal: z.number(),
  bytesRead: z.number(),
  skipped,
  error: z.string().nullable(),
});

export const librarySessionSchema = z.object({
  id: z.string(),
  provider: z.string(),
  title: z.string().nullable(),
  name: z.string().nullable(),
  cwd: z.string().nullable(),
  gitBranch: z.string().nullable(),
  model: z.string().nullable(),
  firstActivity: z.string().nullable(),
  lastActivity: z.string().nullable(),
  messageCount: z.number(),
  ...tokens,
  unpricedTokens: z.number(),
  tags: z.array(z.string()),
  favourite: z.boolean(),
  managed: z.object({ id: z.string(), name: z.string().nullable(), state: z.string() }).nullable(),
});

export const libraryMessageSchema = z.object({
  id: z.number(),
  timestamp: z.string(),
  role: z.string(),
  kind: z.string(),
  tool: z.string().nullable(),
  text: z.string(),
  input: z.string().nullable(),
  sidechain: z.boolean(),
});

export const tagSchema = z.object({
  id: z.number(),
  name: z.string(),
  path: z.string(),
  parentId: z.number().nullable(),
  color: z.string().nullable(),
  sessions: z.number(),
});

const tagName = z.string().min(1).max(100);
const tagColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a #rrggbb colour');

export const searchHitSchema = z.object({
  sessionId: z.string(),
  provider: z.string(),
  title: z.string().nullable(),
  cwd: z.string().nullable(),
  messageId: z.number(),
  role: z.string(),
  kind: z.string(),
  tool: z.string().nullable(),
  sidechain: z.boolean(),
  timestamp: z.string(),
  snippet: z.string(),
  file: z.string().nullable(),
});

export const analyticsRoutes = [
  defineRoute({
    name: 'analytics.overview',
    method: 'GET',
    path: '/analytics/overview',
    summary: 'Sessions, active sessions, messages, tokens, cache hit rate and cost over a range.',
    access: 'any',
    input: analyticsInput,
    output: z.object({
      range: rangeOut,
      sessions: z.number(),
      activeSessions: z.number(),
      messages: z.number(),
      ...tokens,
      cacheHitRate: z.number(),
      unpricedTokens: z.number(),
      unpricedModels: z.array(z.string()),
    }),
  }),
  defineRoute({
    name: 'analytics.activityTimeline',
    method: 'GET',
    path: '/analytics/activity-timeline',
    summary: 'Messages, active sessions, tokens and cost per day (per hour with granularity=hour, the default for today).',
    access: 'any',
    input: analyticsInput.extend({ granularity: z.enum(['day', 'hour']).optional() }),
    output: z.object({
      range: rangeOut,
      granularity: z.enum(['day', 'hour']),
      points: z.array(z.object({ at: z.string(), messages: z.number(), sessions: z.number(), totalTokens: z.number(), totalCost: z.number() })),
    }),
  }),
  defineRoute({
    name: 'analytics.tokenUsage',
    method: 'GET',
    path: '/analytics/token-usage',
    summary: "Tokens and cost per day with a per-model breakdown, in ccusage's field names: {days: [{date, ...}], totals}.",
    access: 'any',
    input: analyticsInput,
    output: z.object({
      range: rangeOut,
      days: z.array(z.object({ date: z.string(), ...tokens, models: z.array(z.object({ model: z.string(), ...tokens })) })),
      totals: tokenTotals,
    }),
  }),
  defineRoute({
    name: 'analytics.tokensByModel',
    method: 'GET',
    path: '/analytics/tokens-by-model',
    summary: 'Tokens, requests and cost per model; unpriced models have priced: false and cost 0.',
    access: 'any',
    input: analyticsInput,
    output: z.object({
      range: rangeOut,
      models: z.array(z.object({ model: z.string(), requests: z.number(), priced: z.boolean(), ...tokens })),
      totals: tokenTotals,
    }),
  }),
  defineRoute({
    name: 'analytics.sessionsByProvider',
    method: 'GET',
    path: '/analytics/sessions-by-provider',
    summary: 'Sessions with activity, live managed sessions, tokens and cost per provider.',
    access: 'any',
    input: analyticsInput,
    output: z.object({
      range: rangeOut,
      providers: z.array(z.object({ provider: z.string(), sessions: z.number(), activeSessions: z.number(), ...tokens })),
    }),
  }),
  defineRoute({
    name: 'analytics.toolUsage',
    method: 'GET',
    path: '/analytics/tool-usage',
    summary: 'The most used tools (15 unless limit says otherwise): calls and sessions.',
    access: 'any',
    input: analyticsInput.extend({ limit: z.coerce.number().int().min(1).max(200).default(15) }),
    output: z.object({ range: rangeOut, tools: z.array(z.object({ tool: z.string(), calls: z.number(), sessions: z.number() })) }),
  }),
  defineRoute({
    name: 'analytics.policyDecisions',
    method: 'GET',
    path: '/analytics/policy-decisions',
    summary: 'Policy decisions per day and decision (allow, deny, ask).',
    access: 'any',
    input: analyticsInput,
    output: z.object({
      range: rangeOut,
      days: z.array(z.object({ date: z.string(), allow: z.number(), deny: z.number(), ask: z.number() })),
      totals: z.object({ allow: z.number(), deny: z.number(), ask: z.number() }),
    }),
  }),
  defineRoute({
    name: 'search',
    method: 'GET',
    path: '/search',
    summary: 'Full-text search of prompts, replies, thinking, tool names and inputs, newest first; FTS5 syntax (quotes, *, AND/OR/NOT, NEAR) when used.',
    access: 'any',
    input: z.strictObject({
      q: z.string().min(1).max(1000),
      role: z.enum(SEARCH_ROLES).default('all'),
      provider: z.enum(TRANSCRIPT_PROVIDERS).optional(),
      cwd: z.string().min(1).optional(),
      session: z.string().min(1).optional(),
      sort: z.enum(['recent', 'rank']).default('recent').describe('recent: newest first (fast); rank: best match first (bm25, scores every match)'),
      limit: z.coerce.number().int().min(1).max(5000).default(20),
      offset: z.coerce.number().int().min(0).default(0),
    }),
    output: z.object({
      query: z.string(),
      total: z.number().describe('matches, counted up to 1000 (or offset + limit); totalExact says whether there are more'),
      totalExact: z.boolean(),
      hits: z.array(searchHitSchema),
    }),
  }),
];

export const libraryRoutes = [
  defineRoute({
    name: 'library.sessions',
    method: 'GET',
    path: '/library/sessions',
    summary: 'Every indexed conversation, managed or not, most recent first; filters: provider, cwd, q (title), tag, favourite.',
    access: 'any',
    input: z.strictObject({
      provider: z.enum(TRANSCRIPT_PROVIDERS).optional(),
      cwd: z.string().min(1).optional(),
      q: z.string().min(1).max(200).optional(),
      tag: z.string().min(1).optional(),
      favourite: queryFlag.optional(),
      sort: z.enum(['recent', 'oldest', 'tokens', 'cost', 'messages']).default('recent'),
      limit: z.coerce.number().int().min(1).max(1000).default(50),
      offset: z.coerce.number().int().min(0).default(0),
    }),
    output: z.object({ total: z.number(), sessions: z.array(librarySessionSchema) }),
  }),
  defineRoute({
    name: 'library.get',
    method: 'GET',
    path: '/library/sessions/:id',
    summary: 'One conversation with its files and messages (paged with limit/offset).',
    access: 'any',
    input: idParam.extend({ limit: z.coerce.number().int().min(1).max(10_000).default(500), offset: z.coerce.number().int().min(0).default(0) }),
    output: z.object({
      session: librarySessionSchema,
      files: z.array(z.object({ path: z.string(), bytesIndexed: z.number(), lines: z.number(), badLines: z.number(), error: z.string().nullable() })),
      totalMessages: z.number(),
      messages: z.array(libraryMessageSchema),
    }),
  }),
  defineRoute({
    name: 'library.rename',
    method: 'PUT',
    path: '/library/sessions/:id/name',
    summary: "Names a conversation in the library (null gives back the agent's own title); the transcript is not touched.",
    access: 'any',
    input: idParam.extend({ name: z.string().trim().min(1).max(200).nullable() }),
    output: librarySessionSchema,
  }),
  defineRoute({
    name: 'library.favourite',
    method: 'POST',
    path: '/library/sessions/:id/favourite',
    summary: 'Marks or unmarks a favourite; without a value it toggles.',
    access: 'any',
    input: idParam.extend({ favourite: z.boolean().optional() }),
    output: librarySessionSchema,
  }),
  defineRoute({
    name: 'library.favourites',
    method: 'GET',
    path: '/library/favourites',
    summary: 'The favourite conversations, most recent first.',
    access: 'any',
    input: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(50), offset: z.coerce.number().int().min(0).default(0) }),
    output: z.object({ total: z.number(), sessions: z.array(librarySessionSchema) }),
  }),
  defineRoute({
    name: 'library.addTag',
    method: 'POST',
    path: '/library/sessions/:id/tags',
    summary: 'Puts a tag (id, name or parent/child path) on a conversation.',
    access: 'any',
    input: idParam.extend({ tag: z.union([z.string().min(1), z.number().int()]) }),
    output: librarySessionSchema,
  }),
  defineRoute({
    name: 'library.removeTag',
    method: 'DELETE',
    path: '/library/sessions/:id/tags/:tag',
    summary: 'Takes a tag off a conversation.',
    access: 'any',
    input: idParam.extend({ tag: z.string().min(1) }),
    output: librarySessionSchema,
  }),
  defineRoute({
    name: 'library.export',
    method: 'GET',
    path: '/library/sessions/:id/export',
    summary: 'The conversation as markdown, a self-contained html page, or json: {format, filename, mimeType, content}.',
    access: 'any',
    input: idParam.extend({ format: z.enum(EXPORT_FORMATS).default('markdown') }),
    output: z.object({ format: z.enum(EXPORT_FORMATS), filename: z.string(), mimeType: z.string(), content: z.string() }),
  }),
  defineRoute({
    name: 'library.delete',
    method: 'DELETE',
    path: '/library/sessions/:id',
    summary: "Moves the conversation's transcript files to the trash (desktop trash if there is one, else CODEPIPER_HOME/trash), then drops its index rows.",
    access: 'any',
    input: idParam,
    output: z.object({
      id: z.string(),
      trash: z.object({ kind: z.enum(['desktop', 'codepiper']), dir: z.string() }),
      trashed: z.array(z.object({ from: z.string(), to: z.string() })),
      missing: z.array(z.string()),
    }),
  }),
  defineRoute({
    name: 'library.stats',
    method: 'GET',
    path: '/library/stats',
    summary: 'Counts of the index: sessions, messages, tool calls, files, bytes, bad lines, per provider.',
    access: 'any',
    input: z.strictObject({}),
    output: z.object({
      sessions: z.number(),
      favourites: z.number(),
      messages: z.number(),
      toolCalls: z.number(),
      tags: z.number(),
      files: z.number(),
      bytesIndexed: z.number(),
      lines: z.number(),
      badLines: z.number(),
      filesWithErrors: z.number(),
      firstActivity: z.string().nullable(),
      lastActivity: z.string().nullable(),
      providers: z.array(z.object({ provider: z.string(), sessions: z.number(), messages: z.number() })),
      scan: scanProgressSchema,
    }),
  }),
  defineRoute({
    name: 'library.scan',
    method: 'POST',
    path: '/library/scan',
    summary: 'Scans every transcript root for new and changed files; with wait: true answers when done, else at once.',
    access: 'any',
    input: z.strictObject({ wait: z.boolean().default(false) }),
    output: scanProgressSchema,
  }),
  defineRoute({
    name: 'library.scanStatus',
    method: 'GET',
    path: '/library/scan',
    summary: 'Progress of the running (or last) scan.',
    access: 'any',
    input: z.strictObject({}),
    output: scanProgressSchema,
  }),
  defineRoute({
    name: 'tags.list',
    method: 'GET',
    path: '/tags',
    summary: 'Every tag with its full path and how many sessions carry it.',
    access: 'any',
    input: z.strictObject({}),
    output: z.object({ tags: z.array(tagSchema) }),
  }),
  defineRoute({
    name: 'tags.create',
    method: 'POST',
    path: '/tags',
    summary: 'Creates a tag: {name, parentId?, color? (#rrggbb)}.',
    access: 'any',
    input: z.strictObject({ name: tagName, parentId: z.number().int().nullable().optional(), color: tagColor.nullable().optional() }),
    output: tagSchema,
  }),
  defineRoute({
    name: 'tags.update',
    method: 'PUT',
    path: '/tags/:id',
    summary: 'Renames, moves (parentId) or recolours a tag.',
    access: 'any',
    input: idParam.extend({ name: tagName.optional(), parentId: z.number().int().nullable().optional(), color: tagColor.nullable().optional() }),
    output: tagSchema,
  }),
  defineRoute({
    name: 'tags.delete',
    method: 'DELETE',
    path: '/tags/:id',
    summary: 'Deletes a tag and its descendants (sessions lose them; nothing else changes).',
    access: 'any',
    input: idParam,
    output: tagSchema,
  }),
];
