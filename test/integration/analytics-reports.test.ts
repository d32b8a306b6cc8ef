import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus } from '../../bench/corpus.mjs';
import { createHarness, type Harness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

// The ccusage-style reports (monthly, session, blocks) through the real daemon and CLI, over a generated corpus whose
// totals are known, plus a conversation of the last hour so that a block is active.

let harness: Harness;
let manifest: ReturnType<typeof generateCorpus>;
/** The replies of the conversation still going on: minutes ago, and their output tokens. */
const recent = [
  { minutesAgo: 50, output: 400 },
  { minutesAgo: 20, output: 600 },
];

beforeAll(async () => {
  harness = createHarness();
  manifest = generateCorpus({ out: harness.dir, seed: 5, targetBytes: 1_000_000, maxTurns: 6 });
  const file = path.join(harness.dir, 'claude', 'projects', '-work-live', 'live-session.jsonl');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    recent
      .map((r, i) =>
        JSON.stringify({
          type: 'assistant',
          sessionId: 'live-session',
          cwd: '/work/live',
          uuid: `live-${i}`,
          timestamp: new Date(Date.now() - r.minutesAgo * 60_000).toISOString(),
          requestId: `req_live_${i}`,
          message: { id: `msg_live_${i}`, role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [{ type: 'text', text: 'ok' }], usage: { input_tokens: 5, output_tokens: r.output, cache_creation_input_tokens: 0, cache_read_input_tokens: 2000 } },
        }),
      )
      .join('\n') + '\n',
  );
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  await waitFor(
    async () => {
      const status = await harness.run(['library', 'scan', '--json']);
      const progress = status.code === 0 ? JSON.parse(status.stdout) : null;
      return progress && progress.finishedAt && !progress.running ? progress : undefined;
    },
    { what: 'the start-up scan', timeoutMs: 30_000 },
  );
}, 60_000);

afterAll(async () => {
  await harness?.cleanup();
});

async function json(args: string[]): Promise<any> {
  const result = await harness.run([...args, '--json']);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

const recentTokens = recent.reduce((sum, r) => sum + 5 + r.output + 2000, 0);

describe('analytics monthly, session and blocks', () => {
  it('monthly adds up to the corpus per month, and session and blocks to the same totals', async () => {
    const monthly = await json(['analytics', 'monthly', '--tz', 'UTC']);
    const expected: Record<string, number> = {};
    for (const side of [manifest.claude, manifest.codex]) {
      for (const [day, t] of Object.entries(side.byDay) as Array<[string, { totalTokens: number }]>) expected[day.slice(0, 7)] = (expected[day.slice(0, 7)] ?? 0) + t.totalTokens;
    }
    const thisMonth = new Date().toISOString().slice(0, 7);
    expected[thisMonth] = (expected[thisMonth] ?? 0) + recentTokens;
    expect(Object.fromEntries(monthly.months.map((m: any) => [m.month, m.totalTokens]))).toEqual(expected);

    const session = await json(['analytics', 'session']);
    expect(session.totals.totalTokens).toBe(monthly.totals.totalTokens);
    expect(session.sessions.find((s: any) => s.sessionId === 'live-session')).toMatchObject({ provider: 'claude-code', librarySession: 'live-session', totalTokens: recentTokens });

    // Blocks are Claude Code's: every Claude token, none of Codex's.
    const blocks = await json(['analytics', 'blocks']);
    const claudeTokens = Object.values(manifest.claude.byDay as Record<string, { totalTokens: number }>).reduce((sum, t) => sum + t.totalTokens, 0);
    expect(blocks.totals.totalTokens).toBe(claudeTokens + recentTokens);
    expect(blocks.blocks.filter((b: any) => b.isActive)).toHaveLength(1);
  });

  it('blocks --active shows the block still running, its burn rate and projection', async () => {
    const answer = await json(['analytics', 'blocks', '--active']);
    expect(answer.blocks).toHaveLength(1);
    const block = answer.blocks[0];
    expect(block).toMatchObject({ isActive: true, entries: 2, totalTokens: recentTokens });
    expect(block.burnRate.tokensPerMinute).toBeCloseTo(recentTokens / 30, 6);
    expect(block.projection.totalTokens).toBeGreaterThanOrEqual(recentTokens);

    const text = await harness.run(['analytics', 'blocks', '--active']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/burn rate\s+\d[\d,]* tokens\/min, \$[\d.]+\/h/);
    expect(text.stdout).toMatch(/projected at block end\s+[\d,]+ tokens, \$[\d.]+/);
    const table = await harness.run(['analytics', 'blocks']);
    expect(table.stdout).toMatch(/active, \dh \d\dm left/);
  });

  it('prints tables, and says which report is which in --help', async () => {
    const monthly = await harness.run(['analytics', 'monthly', '--tz', 'UTC']);
    expect(monthly.code, monthly.stderr).toBe(0);
    expect(monthly.stdout).toMatch(/^MONTH\s+INPUT\s+OUTPUT/m);
    expect(monthly.stdout).toMatch(/^total\s/m);
    const session = await harness.run(['analytics', 'session']);
    expect(session.stdout).toMatch(/^SESSION\s+LIBRARY\s+AGENT/m);
    expect(session.stdout).toContain('live-ses');
    const help = await harness.run(['analytics', 'session', '--help']);
    expect(help.stdout).toContain('like ccusage session');
    expect(help.stdout).toMatch(/not \s*"sessions"/);
    const blocksHelp = await harness.run(['analytics', 'blocks', '--help']);
    expect(blocksHelp.stdout).toContain('--active');
    expect(blocksHelp.stdout).toContain('codepiper analytics blocks --active');
    const bad = await harness.run(['analytics', 'blocks', '--since', 'yesterday']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--since');
  });
});
