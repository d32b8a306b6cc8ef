import { z } from 'zod';

/** A yes/no query parameter: `1`/`true` and `0`/`false` (query values arrive as strings). */
export const queryFlag = z.preprocess((value) => (value === '1' || value === 'true' ? true : value === '0' || value === 'false' ? false : value), z.boolean());

/** The providers whose transcripts are indexed; search and the library filter by them. */
export const TRANSCRIPT_PROVIDERS = ['claude-code', 'codex'] as const;

/** Token counts and their cost: analytics reports them per range, day and model, the library per conversation. */
export const tokenFields = {
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheCreationTokens: z.number(),
  cacheReadTokens: z.number(),
  totalTokens: z.number(),
  totalCost: z.number(),
};
