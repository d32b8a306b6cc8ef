import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateCorpus, SEARCH_WORDS } from '../../bench/corpus.mjs';
import { daemonApi } from '../helpers/daemon-api';
import { ROOT, createHarness, type Harness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

const FAKE_CLAUDE = path.join(ROOT, 'test/fixtures/fake-claude.cjs');

let harness: Harness;
let client: Client;
let manifest: ReturnType<typeof generateCorpus>;
/** The conversation the library test deletes, for the restore test after it. */
let deletedId = '';

beforeAll(async () => {
  harness = createHarness();
  harness.env.CODEPIPER_CLAUDE_BIN = FAKE_CLAUDE;
  // The corpus lands in the harness's CLAUDE_CONFIG_DIR (<dir>/claude) and CODEX_HOME (<dir>/codex).
  manifest = generateCorpus({ out: harness.dir, seed: 11, targetBytes: 2_000_000, maxTurns: 8 });
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  client = new Client('http://localhost', { socketPath: harness.socket });
});

afterAll(async () => {
  await client?.close();
  await harness?.cleanup();
});

const { api, untilScreen } = daemonApi(() => client);

async function ok(method: string, route: string, body?: unknown): Promise<any> {
  const { status, json } = await api(method, route, body);
  expect(status, `${method} ${route}: ${JSON.stringify(json)}`).toBe(200);
  return json;
}

describe('the daemon indexes every transcript on disk', () => {
  it('scans in the background at start, with progress, and its totals add up to the corpus', async () => {
    const scan = await waitFor(async () => {
      const status = await ok('GET', '/library/scan');
      return status.finishedAt && !status.running ? status : undefined;
    }, { what: 'the start-up scan', timeoutMs: 20_000 });
    expect(scan).toMatchObject({ filesTotal: manifest.files, filesDone: manifest.files, error: null });
    const usage = await ok('GET', '/analytics/token-usage?range=all&tz=UTC');
    const expected = { input: 0, output: 0, cacheCreate: 0, cacheRead: 0 };
    for (const side of [manifest.claude, manifest.codex]) {
      for (const t of Object.values(side.byDay)) {
        expected.input += t.inputTokens;
        expected.output += t.outputTokens;
        expected.cacheCreate += t.cacheCreationTokens;
        expected.cacheRead += t.cacheReadTokens;
      }
    }
    expect(usage.totals).toMatchObject({ inputTokens: expected.input, outputTokens: expected.output, cacheCreationTokens: expected.cacheCreate, cacheReadTokens: expected.cacheRead });
    expect(usage.days.map((d: any) => d.date)).toEqual(Object.keys({ ...manifest.claude.byDay, ...manifest.codex.byDay }).sort());
    const overview = await ok('GET', '/analytics/overview?range=all&tz=UTC');
    expect(overview.unpricedModels).toContain('claude-nova-7-preview');
    expect(overview.totalTokens).toBe(usage.totals.totalTokens);
  });

  it('serves the other reports, and refuses a bad range or zone with the field named', async () => {
    const models = await ok('GET', '/analytics/tokens-by-model?range=all');
    expect(models.models.find((m: any) => m.model === 'claude-nova-7-preview')).toMatchObject({ priced: false, totalCost: 0 });
    const tools = await ok('GET', '/analytics/tool-usage?range=all');
    expect(tools.tools.length).toBeGreaterThan(0);
    expect(tools.tools.length).toBeLessThanOrEqual(15);
    const providers = await ok('GET', '/analytics/sessions-by-provider?range=all');
    expect(providers.providers.map((p: any) => p.provider).sort()).toEqual(['claude-code', 'codex']);
    const timeline = await ok('GET', '/analytics/activity-timeline?range=all&tz=UTC');
    expect(timeline.points.reduce((sum: number, p: any) => sum + p.totalTokens, 0)).toBeGreaterThan(0);
    expect((await ok('GET', '/analytics/policy-decisions?range=7d')).totals).toEqual({ allow: 0, deny: 0, ask: 0 });
    for (const [query, field] of [
      ['tz=Nowhere/City', 'Nowhere/City'],
      ['since=2026-13-01', 'since'],
      ['range=forever', 'range'],
    ]) {
      const { status, json } = await api('GET', `/analytics/overview?${query}`);
      expect(status, query).toBe(400);
      expect(json.error.message).toContain(field);
    }
  });

  it('searches with highlighted snippets, the same rows the generator wrote, and a 400 for bad syntax', async () => {
    for (const word of SEARCH_WORDS.slice(-3)) {
      const found = await ok('GET', `/search?q=${word}&limit=5000`);
      expect({ word, total: found.total }).toEqual({ word, total: manifest.words[word]!.lines });
      expect(new Set(found.hits.map((h: any) => path.relative(harness.dir, h.file)))).toEqual(new Set(manifest.words[word]!.files));
    }
    const { status, json } = await api('GET', `/search?q=${encodeURIComponent('"never closed')}`);
    expect(status).toBe(400);
    expect(json.error.code).toBe('SEARCH_QUERY_INVALID');
    const one = await ok('GET', `/search?q=${SEARCH_WORDS[0]}&role=user&limit=1`);
    expect(one.hits[0]).toMatchObject({ role: 'user', snippet: expect.stringContaining(`<mark>${SEARCH_WORDS[0]}</mark>`) });
  });

  it('keeps a library: list, show, rename, tag, favourite, export, delete to the trash', async () => {
    const list = await ok('GET', '/library/sessions?provider=claude-code&limit=2');
    expect(list.total).toBe(manifest.claudeSessions);
    const id = list.sessions[0].id;
    const shown = await ok('GET', `/library/sessions/${id}?limit=5`);
    expect(shown.messages.length).toBeLessThanOrEqual(5);
    expect(shown.totalMessages).toBeGreaterThan(0);
    expect((await ok('PUT', `/library/sessions/${id}/name`, { name: 'Renamed in the library' })).title).toBe('Renamed in the library');
    const tag = await ok('POST', '/tags', { name: 'review', color: '#aa5500' });
    const child = await ok('POST', '/tags', { name: 'urgent', parentId: tag.id });
    expect((await ok('POST', `/library/sessions/${id}/tags`, { tag: 'review/urgent' })).tags).toEqual(['review/urgent']);
    expect((await ok('GET', '/library/sessions?tag=review')).sessions.map((s: any) => s.id)).toEqual([id]);
    expect((await ok('PUT', `/tags/${child.id}`, { name: 'later' })).path).toBe('review/later');
    expect((await api('PUT', `/tags/${tag.id}`, { parentId: child.id })).status).toBe(400);
    expect((await ok('POST', `/library/sessions/${id}/favourite`, {})).favourite).toBe(true);
    expect((await ok('GET', '/library/favourites')).sessions.map((s: any) => s.id)).toEqual([id]);
    const html = await ok('GET', `/library/sessions/${id}/export?format=html`);
    expect(html).toMatchObject({ format: 'html', mimeType: 'text/html; charset=utf-8', filename: 'Renamed-in-the-library.html' });
    expect(html.content).toMatch(/^<!doctype html>/);
    expect((await api('GET', `/library/sessions/${id}/export?format=pdf`)).status).toBe(400);

    const files = shown.files.map((f: any) => f.path);
    const deleted = await ok('DELETE', `/library/sessions/${id}`);
    expect(deleted.trash).toEqual({ kind: 'codepiper', dir: path.join(harness.home, 'trash') });
    expect(deleted.trashed.map((t: any) => t.from).sort()).toEqual([...files].sort());
    for (const t of deleted.trashed) expect(fs.existsSync(t.to)).toBe(true);
    expect((await api('GET', `/library/sessions/${id}`)).status).toBe(404);
    const stats = await ok('GET', '/library/stats');
    expect(stats.sessions).toBe(manifest.claudeSessions + manifest.codexRollouts - 1);
    deletedId = id;
  });

  it('library restore brings the deleted conversation back with its name, tags and favourite', async () => {
    const restored = await harness.run(['library', 'restore', deletedId.slice(0, 12)]);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(new RegExp(`^restored ${deletedId} \\(Renamed in the library\\); files moved back:`));
    const { session } = await ok('GET', `/library/sessions/${deletedId}`);
    expect(session).toMatchObject({ name: 'Renamed in the library', favourite: true, tags: ['review/later'] });
    const stats = await ok('GET', '/library/stats');
    expect(stats.sessions).toBe(manifest.claudeSessions + manifest.codexRollouts);
    const again = await harness.run(['library', 'restore', deletedId]);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/is in the library, not deleted: nothing to restore/);
  });

  it('reads only what was appended on the next scan', async () => {
    const before = await ok('GET', '/analytics/overview?range=all');
    // A file that does not end in a half-written line (the generator leaves some): appending completes that line.
    const { sessions } = await ok('GET', '/library/sessions?provider=claude-code&limit=100');
    let files: Array<{ path: string }> = [];
    let file = '';
    for (const session of sessions) {
      files = (await ok('GET', `/library/sessions/${session.id}`)).files;
      file = session.id;
      if (fs.readFileSync(files[0]!.path, 'utf8').endsWith('\n')) break;
    }
    const line = `${JSON.stringify({ type: 'assistant', sessionId: file, uuid: 'appended-1', timestamp: new Date().toISOString(), requestId: 'req_appended', message: { id: 'msg_appended', model: 'claude-haiku-4-5', role: 'assistant', content: [{ type: 'text', text: 'appended words' }], usage: { input_tokens: 3, output_tokens: 4 } } })}\n`;
    fs.appendFileSync(files[0]!.path, line);
    const scan = await ok('POST', '/library/scan', { wait: true });
    expect(scan).toMatchObject({ filesChanged: 1, bytesRead: Buffer.byteLength(line) });
    const after = await ok('GET', '/analytics/overview?range=all');
    expect(after.totalTokens - before.totalTokens).toBe(7);
  });
});

describe('the CLI over the same routes', () => {
  it('prints reports, searches, exports, and turns bad input into one clear line with a usage exit code', async () => {
    const overview = await harness.run(['analytics', 'overview', '--since', '2026-01-01', '--tz', 'UTC', '--json']);
    expect(overview.code, overview.stderr).toBe(0);
    expect(JSON.parse(overview.stdout).totalTokens).toBe((await ok('GET', '/analytics/overview?since=2026-01-01&tz=UTC')).totalTokens);
    const costs = await harness.run(['analytics', 'costs', '--since', '2026-01-01', '--tz', 'UTC'], { env: { ...harness.env, COLUMNS: '80' } });
    expect(costs.code, costs.stderr).toBe(0);
    expect(costs.stdout).toContain('claude-nova-7-preview');
    for (const row of costs.stdout.split('\n')) expect([...row].length, row).toBeLessThanOrEqual(80);

    const word = SEARCH_WORDS.at(-1)!;
    const found = await harness.run(['search', word, '--json']);
    expect(found.code, found.stderr).toBe(0);
    expect(JSON.parse(found.stdout).total).toBe((await ok('GET', `/search?q=${word}`)).total);
    const bad = await harness.run(['search', '"never closed']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toContain('not valid');
    const days = await harness.run(['analytics', 'overview', '--days', '0']);
    expect(days.code).toBe(2);
    expect(days.stderr).toContain('--days');

    const id = (await ok('GET', '/library/sessions?limit=1')).sessions[0].id;
    const out = path.join(harness.dir, 'export.md');
    const exported = await harness.run(['library', 'export', id, '--format', 'markdown', '-o', out]);
    expect(exported.code, exported.stderr).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toBe((await ok('GET', `/library/sessions/${id}/export?format=markdown`)).content);
    const again = await harness.run(['library', 'export', id, '-o', out]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain(out);
  });
});

describe('a managed Claude session is indexed live', () => {
  it('its prompts and token usage arrive without a scan', async () => {
    const session = await ok('POST', '/sessions', { provider: 'claude-code', cwd: harness.dir, name: 'live' });
    await untilScreen(session.id, /\? for shortcuts/);
    const before = await ok('GET', '/analytics/overview?range=all');
    await ok('POST', `/sessions/${session.id}/send`, { text: 'echo zephyrine marker' });
    // The library knows the conversation by the managed session's name too.
    const shown = await waitFor(async () => {
      const { status, json } = await api('GET', '/library/sessions/live');
      return status === 200 && json.messages.some((m: any) => m.kind === 'text') ? json : undefined;
    }, { what: 'the live transcript in the library', timeoutMs: 15_000 });
    expect(shown.session.managed).toMatchObject({ id: session.id, name: 'live' });
    expect(shown.messages.map((m: any) => [m.role, m.kind])).toEqual([
      ['user', 'prompt'],
      ['assistant', 'thinking'],
      ['assistant', 'text'],
    ]);
    const after = await ok('GET', '/analytics/overview?range=all');
    // One response, written as two lines of one request: 10 in, 42 out, 100 cache write, 1000 cache read, once.
    expect(after.totalTokens - before.totalTokens).toBe(10 + 42 + 100 + 1000);
    expect((await ok('GET', '/search?q=zephyrine&role=user')).hits).toEqual([expect.objectContaining({ sessionId: shown.session.id, role: 'user' })]);
    await ok('POST', `/sessions/${session.id}/kill`);
  });
});
