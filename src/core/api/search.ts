import { z } from 'zod';
import { SEARCH_ROLES } from '../search/search';
import { TRANSCRIPT_PROVIDERS } from './fields';
import { defineRoute } from './route';

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

export const searchRoutes = [
  defineRoute({
    name: 'search',
    method: 'GET',
    path: '/search',
    summary: 'Full-text search of prompts, replies, thinking, tool names and inputs, newest first; FTS5 syntax (quotes, *, AND/OR/NOT, NEAR) when used.',
    access: 'read',
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
