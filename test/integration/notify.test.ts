import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, createHarness, type Harness } from '../helpers/harness';
import { daemonApi } from '../helpers/daemon-api';
import { waitFor } from '../helpers/wait';
import { startWebDaemon } from '../helpers/web';

/**
 * Notifications against a real daemon and the fake Claude Code (which raises real permission questions through its
 * hooks): a command hook and a signed webhook on loopback each get exactly one event per state change; a webhook that
 * fails twice gets the event on the third attempt; quiet hours suppress. Nothing leaves 127.0.0.1.
 */

const FAKE_CLAUDE = path.join(ROOT, 'test/fixtures/fake-claude.cjs');
const SECRET = 'a-test-secret-for-the-webhook-0123456789';

let harness: Harness;
let client: Client;
let server: http.Server;
let hookFile: string;
/** What the webhook receiver accepted (signature verified), by path. */
const received: Record<string, Array<{ event: any; signatureOk: boolean; timestamp: string }>> = { '/hook': [], '/flaky': [] };
let flakyAnswers = [500, 500, 200];

const { api, untilScreen, untilState } = daemonApi(() => client);

async function ok(method: string, route: string, body?: unknown): Promise<any> {
  const { status, json } = await api(method, route, body);
  expect(status, `${method} ${route}: ${JSON.stringify(json)}`).toBe(200);
  return json;
}

/** The receiver's own check, written apart from the daemon's code: HMAC-SHA256 of "<timestamp>.<raw body>". */
function signatureOk(secret: string, timestamp: string | undefined, signature: string | undefined, raw: Buffer): boolean {
  if (!timestamp || !signature) return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const expected = `sha256=${crypto.createHmac('sha256', secret).update(`${timestamp}.`).update(raw).digest('hex')}`;
  return expected.length === signature.length && crypto.timingSafeEqual(Buffer.from(expected), Buffer.from(signature));
}

beforeAll(async () => {
  harness = createHarness();
  harness.env.CODEPIPER_CLAUDE_BIN = FAKE_CLAUDE;
  server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const list = received[request.url ?? ''];
      if (!list) return response.writeHead(404).end();
      const timestamp = request.headers['x-codepiper-timestamp'] as string | undefined;
      list.push({ event: JSON.parse(raw.toString('utf8')), signatureOk: signatureOk(SECRET, timestamp, request.headers['x-codepiper-signature'] as string | undefined, raw), timestamp: timestamp ?? '' });
      const status = request.url === '/flaky' ? (flakyAnswers.shift() ?? 200) : 200;
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  // The command hook: a small program that appends its stdin to a file.
  hookFile = path.join(harness.dir, 'hook-events.jsonl');
  const script = path.join(harness.dir, 'append-stdin.cjs');
  fs.writeFileSync(script, "const fs = require('node:fs'); const chunks = []; process.stdin.on('data', (c) => chunks.push(c)); process.stdin.on('end', () => fs.appendFileSync(process.argv[2], Buffer.concat(chunks)));\n");

  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  client = new Client('http://localhost', { socketPath: harness.socket });
  const events = ['needs_permission', 'needs_input', 'turn_finished', 'crashed', 'resolved'];
  await ok('PUT', '/settings/daemon', {
    notifications: {
      channels: [
        { name: 'hook', type: 'command', argv: [process.execPath, script, hookFile], events },
        { name: 'web', type: 'webhook', url: `http://127.0.0.1:${port}/hook`, secret: SECRET, events },
        // Only for the retry test: it wants no session's events.
        { name: 'flaky', type: 'webhook', url: `http://127.0.0.1:${port}/flaky`, secret: SECRET, events: ['crashed'], sessions: ['no-such-session'], maxAttempts: 4 },
      ],
    },
  });
}, 30_000);

afterAll(async () => {
  await client?.close();
  await harness?.cleanup();
  await new Promise((resolve) => server?.close(resolve));
});

const hookEvents = (): any[] =>
  fs.existsSync(hookFile)
    ? fs
        .readFileSync(hookFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
    : [];
const webEvents = () => received['/hook']!.map((r) => r.event);
const of = (events: any[], session: string) => events.filter((event) => event.session?.id === session);

/** Waits until both channels have `count` events of the session, and gives them. */
async function untilBoth(session: string, count: number, what: string): Promise<{ hook: any[]; web: any[] }> {
  return waitFor(
    () => {
      const hook = of(hookEvents(), session);
      const web = of(webEvents(), session);
      return hook.length >= count && web.length >= count ? { hook, web } : undefined;
    },
    { what, timeoutMs: 20_000 },
  );
}

let id: string;

describe('notifications from a real daemon', () => {
  it('gives the command hook and the signed webhook exactly one event per state change: a permission question, its answer, the turn', async () => {
    const session = await ok('POST', '/sessions', { provider: 'claude-code', cwd: harness.dir, name: 'notify-me' });
    id = session.id;
    await untilScreen(id, /\? for shortcuts/);
    await untilState(id, 'idle');
    const { before } = await waitFor(() => {
      const hook = of(hookEvents(), id).length;
      return hook === of(webEvents(), id).length ? { before: hook } : undefined;
    }, { what: 'both channels to agree before the question' });

    await ok('POST', `/sessions/${id}/send`, { text: 'ask Bash echo notified' });
    await untilState(id, 'needs_permission');
    const asked = await untilBoth(id, before + 1, 'the permission question on both channels');
    for (const event of [asked.hook.at(-1), asked.web.at(-1)]) {
      expect(event).toMatchObject({
        kind: 'needs_permission',
        session: { id, name: 'notify-me', provider: 'claude-code' },
        title: 'notify-me needs permission',
        question: { tool: 'Bash', summary: 'echo notified' },
        link: null,
      });
    }
    expect(asked.hook.at(-1).id).toBe(asked.web.at(-1).id);

    await ok('POST', `/sessions/${id}/permission`, { answer: 'approve' });
    await untilScreen(id, /allowed|echo notified/);
    const after = await untilBoth(id, before + 3, 'the answer and the end of the turn on both channels');
    // A later change proves nothing more was on its way: one more turn, one more event.
    await ok('POST', `/sessions/${id}/send`, { text: 'echo one more turn' });
    const last = await untilBoth(id, before + 4, 'the next turn');
    for (const events of [last.hook, last.web]) {
      const mine = events.slice(before);
      expect(mine.map((event) => event.kind)).toEqual(['needs_permission', 'resolved', 'turn_finished', 'turn_finished']);
      expect(mine[1].resolves).toBe(mine[0].id);
      expect(new Set(mine.map((event) => event.id)).size).toBe(4);
    }
    expect(after.web.length).toBe(after.hook.length);
    // The state changes the daemon logged: each entry into needs_permission is one event.
    const { events: logged } = await ok('GET', `/sessions/${id}/events?limit=1000`);
    const entries = logged.filter((event: any) => event.type === 'state' && event.data.to === 'needs_permission').length;
    expect(of(hookEvents(), id).filter((event) => event.kind === 'needs_permission').length).toBe(entries);
    expect(received['/hook']!.every((r) => r.signatureOk)).toBe(true);

    // The delivery log: both channels, each event once, delivered at the first attempt (a command's row is updated
    // once it has exited, a moment after it wrote the file).
    const rows = await waitFor(
      async () => {
        const mine = (await ok('GET', `/notify/log?limit=100`)).deliveries.filter((row: any) => row.sessionId === id);
        return mine.every((row: any) => row.outcome !== 'pending') ? mine : undefined;
      },
      { what: 'every delivery to be done' },
    );
    for (const channel of ['hook', 'web']) {
      const mine = rows.filter((row: any) => row.channel === channel);
      expect(mine.length).toBe(before + 4);
      expect(mine.every((row: any) => row.outcome === 'delivered' && row.attempts === 1 && row.error === null)).toBe(true);
    }
    expect(rows.find((row: any) => row.channel === 'hook').detail).toMatchObject({ exitCode: 0 });
    expect(rows.find((row: any) => row.channel === 'web').detail).toMatchObject({ status: 200 });
  }, 60_000);

  it('retries a webhook that answers 500 twice, delivering on the third attempt, each one signed', async () => {
    flakyAnswers = [500, 500, 200];
    const answer = await ok('POST', '/notify/test', { channel: 'flaky' });
    expect(answer.results).toHaveLength(1);
    expect(answer.results[0]).toMatchObject({ channel: 'flaky', type: 'webhook', kind: 'test', outcome: 'delivered', attempts: 3, error: null });
    const attempts = received['/flaky']!;
    expect(attempts).toHaveLength(3);
    expect(attempts.every((attempt) => attempt.signatureOk && attempt.event.id === answer.event.id)).toBe(true);
    const { deliveries } = await ok('GET', '/notify/log?channel=flaky');
    expect(deliveries[0]).toMatchObject({ eventId: answer.event.id, outcome: 'delivered', attempts: 3 });

    // The CLI says the same.
    const log = await harness.run(['notify', 'log', '--channel', 'flaky']);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/flaky \(webhook\) +test +delivered +3/);
  }, 30_000);

  it('gives up after maxAttempts on 5xx and logs the failure; a 4xx is not retried', async () => {
    flakyAnswers = [503, 503, 503, 503];
    const failed = await harness.run(['notify', 'test', '--channel', 'flaky', '--json']);
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout).results[0]).toMatchObject({ outcome: 'failed', attempts: 4, error: 'HTTP 503' });
    flakyAnswers = [404];
    const refused = await ok('POST', '/notify/test', { channel: 'flaky' });
    expect(refused.results[0]).toMatchObject({ outcome: 'failed', attempts: 1, error: 'HTTP 404' });
  }, 30_000);

  it('suppresses events in the quiet hours and says so in the delivery log', async () => {
    const now = new Date();
    const clock = (date: Date) => `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`;
    await ok('PUT', '/settings/daemon', { notifications: { quietHours: { start: clock(new Date(now.getTime() - 5 * 60_000)), end: clock(new Date(now.getTime() + 60 * 60_000)), timezone: 'UTC' } } });
    const hookBefore = of(hookEvents(), id).length;
    const webBefore = of(webEvents(), id).length;
    await ok('POST', `/sessions/${id}/send`, { text: 'echo in the quiet hours' });
    const suppressed = await waitFor(
      async () => {
        const { deliveries } = await ok('GET', '/notify/log?limit=20');
        const rows = deliveries.filter((row: any) => row.sessionId === id && row.outcome === 'suppressed');
        return rows.length >= 2 ? rows : undefined;
      },
      { what: 'suppressed deliveries', timeoutMs: 15_000 },
    );
    expect(suppressed.map((row: any) => [row.channel, row.kind, row.error]).sort()).toEqual([
      ['hook', 'turn_finished', 'quiet hours'],
      ['web', 'turn_finished', 'quiet hours'],
    ]);
    // The test still goes through: a test ignores quiet hours.
    const test = await ok('POST', '/notify/test', { channel: 'hook' });
    expect(test.results[0]).toMatchObject({ outcome: 'delivered' });
    expect(of(hookEvents(), id).length).toBe(hookBefore);
    expect(of(webEvents(), id).length).toBe(webBefore);
    const daemonLog = fs.readFileSync(path.join(harness.home, 'daemon.log'), 'utf8');
    expect(daemonLog).toMatch(/notification turn_finished of session \S+ not sent to 2 channel\(s\): quiet hours/);
    await ok('PUT', '/settings/daemon', { notifications: { quietHours: null } });
  }, 30_000);

  it('notifies a crash once on each channel', async () => {
    const hookBefore = of(hookEvents(), id).length;
    await ok('POST', `/sessions/${id}/send`, { text: 'exit 3' });
    await untilState(id, 'crashed');
    const { hook, web } = await untilBoth(id, hookBefore + 1, 'the crash').catch(async (error: Error) => {
      throw new Error(`${error.message}; log: ${JSON.stringify((await ok('GET', '/notify/log?limit=5')).deliveries)}; events: ${JSON.stringify((await ok('GET', `/sessions/${id}/events?limit=1000`)).events.slice(-8))}; daemon.log: ${fs.readFileSync(path.join(harness.home, 'daemon.log'), 'utf8').slice(-3000)}`);
    });
    for (const events of [hook, web]) {
      expect(events.slice(hookBefore).map((event) => [event.kind, event.message])).toEqual([['crashed', 'the agent ended unexpectedly (exit code 3)']]);
    }
  }, 30_000);
});

describe('with --web', () => {
  let web: Harness;
  let webClient: Client;

  afterAll(async () => {
    await webClient?.close();
    await web?.cleanup();
  });

  it('links each event to the session in the dashboard', async () => {
    web = createHarness();
    const file = path.join(web.dir, 'events.jsonl');
    const script = path.join(web.dir, 'append-stdin.cjs');
    fs.writeFileSync(script, "const fs = require('node:fs'); const chunks = []; process.stdin.on('data', (c) => chunks.push(c)); process.stdin.on('end', () => fs.appendFileSync(process.argv[2], Buffer.concat(chunks)));\n");
    fs.mkdirSync(web.home, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(web.home, 'config.json'), JSON.stringify({ notifications: { channels: [{ name: 'hook', type: 'command', argv: [process.execPath, script, file], events: ['crashed'] }] } }));
    webClient = new Client('http://localhost', { socketPath: web.socket });
    const url = await startWebDaemon(web, () => webClient);
    const created = await daemonApi(() => webClient).api('POST', '/sessions', { provider: 'command', cwd: web.dir, args: ['sh', '-c', 'sleep 0.3; exit 5'] });
    expect(created.status, JSON.stringify(created.json)).toBe(200);
    const [event] = await waitFor(() => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)) : undefined), {
      what: 'the crash on the command hook',
      timeoutMs: 15_000,
    });
    expect(event).toMatchObject({ kind: 'crashed', session: { id: created.json.id, provider: 'command' }, link: `${url}/#/sessions/${created.json.id}` });
  }, 30_000);
});
