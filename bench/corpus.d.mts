// Types of bench/corpus.mjs for the tests that generate a corpus with it.
export const SEARCH_WORDS: string[];

export interface TokenTotals {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  totalTokens: number;
}

export interface ExpectedTotals {
  entries: number;
  byDay: Record<string, TokenTotals>;
  byModel: Record<string, TokenTotals>;
  byDayModel: Record<string, Record<string, TokenTotals>>;
}

export interface CorpusManifest {
  seed: number;
  files: number;
  bytes: number;
  claudeSessions: number;
  subagentFiles: number;
  resumed: number;
  codexRollouts: number;
  claudeRoot: string;
  codexRoot: string;
  claude: ExpectedTotals;
  codex: ExpectedTotals;
  words: Record<string, { lines: number; files: string[] }>;
}

export function generateCorpus(options: { out: string; seed?: number; targetBytes?: number; days?: number; now?: number; maxTurns?: number }): CorpusManifest;
