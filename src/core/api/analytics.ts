import { z } from 'zod';
import { RANGES } from '../analytics/range';
import { queryFlag, tokenFields } from './fields';
import { defineRoute } from './route';

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

const tokenTotals = z.object(tokenFields);
const rangeOut = z.object({ from: z.string().nullable(), to: z.string().nullable(), tz: z.string() });

export const analyticsRoutes = [
  defineRoute({
    name: 'analytics.overview',
    method: 'GET',
    path: '/analytics/overview',
    summary: 'Sessions, active sessions, messages, tokens, cache hit rate and cost over a range.',
    access: 'read',
    input: analyticsInput,
    output: z.object({
      range: rangeOut,
      sessions: z.number(),
      activeSessions: z.number(),
      messages: z.number(),
      ...tokenFields,
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
    access: 'read',
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
    access: 'read',
    input: analyticsInput,
    output: z.object({
      range: rangeOut,
      days: z.array(z.object({ date: z.string(), ...tokenFields, models: z.array(z.object({ model: z.string(), ...tokenFields })) })),
      totals: tokenTotals,
    }),
  }),
  defineRoute({
    name: 'analytics.monthly',
    method: 'GET',
    path: '/analytics/monthly',
    summary: "Tokens and cost per calendar month (in tz) with a per-model breakdown, as ccusage monthly; all time unless a range is given.",
    access: 'read',
    input: analyticsInput,
    output: z.object({
      range: rangeOut,
      months: z.array(z.object({ month: z.string(), ...tokenFields, models: z.array(z.object({ model: z.string(), ...tokenFields })) })),
      totals: tokenTotals,
    }),
  }),
  defineRoute({
    name: 'analytics.sessionUsage',
    method: 'GET',
    path: '/analytics/session-usage',
    summary:
      'Tokens and cost per session as ccusage session names them (a Claude transcript, an old-layout subagent file on its own, a Codex rollout path), costliest first; all time unless a range is given.',
    access: 'read',
    input: analyticsInput,
    output: z.object({
      range: rangeOut,
      sessions: z.array(
        z.object({
          sessionId: z.string(),
          provider: z.string(),
          librarySession: z.string(),
          title: z.string().nullable(),
          cwd: z.string().nullable(),
          lastActivity: z.string().nullable(),
          models: z.array(z.string()),
          ...tokenFields,
        }),
      ),
      totals: tokenTotals,
    }),
  }),
  defineRoute({
    name: 'analytics.blocks',
    method: 'GET',
    path: '/analytics/blocks',
    summary:
      "Claude Code's 5-hour billing blocks (as ccusage blocks) and the gaps between them; the active block with its burn rate and projection to the block's end. since/until keep the blocks starting in that range.",
    access: 'read',
    input: z.strictObject({
      since: bound.optional(),
      until: bound.optional().describe('inclusive when a day'),
      tz: z.string().min(1).max(64).optional().describe('IANA time zone since/until days are counted in (default: the system zone)'),
      active: queryFlag.optional().describe('only the active block'),
    }),
    output: z.object({
      range: rangeOut,
      now: z.string(),
      blocks: z.array(
        z.object({
          startTime: z.string(),
          endTime: z.string(),
          actualEndTime: z.string().nullable(),
          isActive: z.boolean(),
          isGap: z.boolean(),
          entries: z.number(),
          ...tokenFields,
          models: z.array(z.string()),
          burnRate: z.object({ tokensPerMinute: z.number(), inputOutputTokensPerMinute: z.number(), costPerHour: z.number() }).nullable(),
          projection: z.object({ remainingMinutes: z.number(), totalTokens: z.number(), totalCost: z.number() }).nullable(),
        }),
      ),
      totals: tokenTotals,
    }),
  }),
  defineRoute({
    name: 'analytics.tokensByModel',
    method: 'GET',
    path: '/analytics/tokens-by-model',
    summary: 'Tokens, requests and cost per model; unpriced models have priced: false and cost 0.',
    access: 'read',
    input: analyticsInput,
    output: z.object({
      range: rangeOut,
      models: z.array(z.object({ model: z.string(), requests: z.number(), priced: z.boolean(), ...tokenFields })),
      totals: tokenTotals,
    }),
  }),
  defineRoute({
    name: 'analytics.sessionsByProvider',
    method: 'GET',
    path: '/analytics/sessions-by-provider',
    summary: 'Sessions with activity, live managed sessions, tokens and cost per provider.',
    access: 'read',
    input: analyticsInput,
    output: z.object({
      range: rangeOut,
      providers: z.array(z.object({ provider: z.string(), sessions: z.number(), activeSessions: z.number(), ...tokenFields })),
    }),
  }),
  defineRoute({
    name: 'analytics.toolUsage',
    method: 'GET',
    path: '/analytics/tool-usage',
    summary: 'The most used tools (15 unless limit says otherwise): calls and sessions.',
    access: 'read',
    input: analyticsInput.extend({ limit: z.coerce.number().int().min(1).max(200).default(15) }),
    output: z.object({ range: rangeOut, tools: z.array(z.object({ tool: z.string(), calls: z.number(), sessions: z.number() })) }),
  }),
  defineRoute({
    name: 'analytics.policyDecisions',
    method: 'GET',
    path: '/analytics/policy-decisions',
    summary: 'Policy decisions per day and decision (allow, deny, ask).',
    access: 'read',
    input: analyticsInput,
    output: z.object({
      range: rangeOut,
      days: z.array(z.object({ date: z.string(), allow: z.number(), deny: z.number(), ask: z.number() })),
      totals: z.object({ allow: z.number(), deny: z.number(), ask: z.number() }),
    }),
  }),
];
