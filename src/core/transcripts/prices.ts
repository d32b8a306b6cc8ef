import crypto from 'node:crypto';
import { z } from 'zod';
import shipped from '../../../data/prices.json';
import { loadJsonFile } from '../config';

/** Rates in USD per million tokens. Codex has no cache writes (cacheWrite absent). */
const ratesSchema = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cacheWrite: z.number().nonnegative().optional(),
  cacheRead: z.number().nonnegative().optional(),
});
const entrySchema = ratesSchema.extend({
  names: z.array(z.string().min(1)).min(1),
  above200k: ratesSchema.optional(),
});
const priceFileSchema = z.object({ models: z.array(entrySchema) });

type Rates = z.infer<typeof ratesSchema>;
type PriceEntry = z.infer<typeof entrySchema>;

/** Token counts of one request, in the four kinds the reports use (input excludes cached input). */
export interface TokenCounts {
  input: number;
  output: number;
  cacheCreate: number;
  cacheRead: number;
}

const LONG_CONTEXT_TOKENS = 200_000;

/** `anthropic/claude-sonnet-4-5-20250929` → `claude-sonnet-4-5`. */
export function modelFamily(model: string): string {
  return model
    .slice(model.lastIndexOf('/') + 1)
    .replace(/-\d{8}$/, '')
    .toLowerCase();
}

export class PriceTable {
  private readonly byName = new Map<string, PriceEntry>();
  /** Changes whenever a price changes: stored with the index so costs are recomputed after an update. */
  readonly fingerprint: string;

  constructor(entries: PriceEntry[]) {
    // Earlier entries win: the user's file comes first.
    for (const entry of entries) {
      for (const name of entry.names) if (!this.byName.has(name.toLowerCase())) this.byName.set(name.toLowerCase(), entry);
    }
    this.fingerprint = crypto.createHash('sha256').update(JSON.stringify([...this.byName])).digest('hex').slice(0, 16);
  }

  isPriced(model: string): boolean {
    return this.byName.has(modelFamily(model));
  }

  /** USD for one request, or null when the model is unknown (reported as unpriced, never guessed). */
  cost(model: string, tokens: TokenCounts): number | null {
    const entry = this.byName.get(modelFamily(model));
    if (!entry) return null;
    const promptTokens = tokens.input + tokens.cacheCreate + tokens.cacheRead;
    const rates: Rates = entry.above200k && promptTokens > LONG_CONTEXT_TOKENS ? entry.above200k : entry;
    return (
      (tokens.input * rates.input +
        tokens.output * rates.output +
        tokens.cacheCreate * (rates.cacheWrite ?? rates.input) +
        tokens.cacheRead * (rates.cacheRead ?? rates.input)) /
      1e6
    );
  }
}

/** The shipped table, with the user's `prices.json` (same shape) in front of it when there is one. */
export function loadPrices(userFile?: string): PriceTable {
  const base = priceFileSchema.parse(shipped).models;
  const user = userFile ? loadJsonFile(userFile, priceFileSchema, 'price file') : undefined;
  return new PriceTable([...(user?.models ?? []), ...base]);
}
