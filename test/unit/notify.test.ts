import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NotificationEvent } from '../../src/core/api/notify';
import type { Session } from '../../src/core/api/sessions';
import { configSchema, type CodepiperConfig } from '../../src/core/config';
import { openDatabase } from '../../src/core/db/open';
import { EventBus, NOTIFICATIONS_TOPIC, SESSIONS_TOPIC } from '../../src/core/events/bus';
import { waitFor } from '../helpers/wait';
import { NotifyEngine, summarizeArgs, type OpenQuestion } from '../../src/core/notify/engine';
import { DeliveryLog } from '../../src/core/notify/log';
import { channelWants, globMatcher, inQuietHours } from '../../src/core/notify/rules';
import { signWebhook, verifyWebhook } from '../../src/core/notify/signing';
import { loadOrCreateWebhookSecret } from '../../src/core/notify/service';
import { sessionFixture } from '../helpers/session-fixture';

const event = (fields: Partial<NotificationEvent> = {}): NotificationEvent => ({
  id: 'e1',
  kind: 'needs_permission',
  at: '2026-12-05T10:00:00.000Z',
  session: { id: 'abcdef12-0000', name: 'api-server', provider: 'claude-code' },
  title: 't',
  message: 'm',
  question: null,
  lastLine: null,
  link: null,
  resolves: null,
  workflow: null,
  ...fields,
});

describe('channel rules', () => {
  it('lets through the default kinds only, not resolved or test, unless the channel lists them', () => {
    const channel = { name: 'c', type: 'terminal' } as const;
    expect(channelWants(channel, event())).toBe(true);
    expect(channelWants(channel, event({ kind: 'turn_finished' }))).toBe(true);
    expect(channelWants(channel, event({ kind: 'resolved' }))).toBe(false);
    expect(channelWants({ ...channel, events: ['resolved'] }, event({ kind: 'resolved' }))).toBe(true);
    expect(channelWants({ ...channel, events: ['crashed'] }, event())).toBe(false);
  });

  it('matches sessions by name, id or glob, and skips disabled channels', () => {
    const channel = { name: 'c', type: 'terminal' } as const;
    expect(channelWants({ ...channel, sessions: ['api-*'] }, event())).toBe(true);
    expect(channelWants({ ...channel, sessions: ['abcdef12-0000'] }, event())).toBe(true);
    expect(channelWants({ ...channel, sessions: ['web-?'] }, event())).toBe(false);
    expect(channelWants({ ...channel, sessions: ['api'] }, event())).toBe(false);
    expect(channelWants({ ...channel, enabled: false }, event())).toBe(false);
    // A rule about sessions leaves out events of none, unless it says "*".
    expect(channelWants({ ...channel, sessions: ['api-*'] }, event({ session: null, kind: 'workflow_ended' }))).toBe(false);
    expect(channelWants({ ...channel, sessions: ['*'] }, event({ session: null, kind: 'workflow_ended' }))).toBe(true);
  });

  it('reads globs literally apart from * and ?', () => {
    expect(globMatcher('a.b*')('a.bc')).toBe(true);
    expect(globMatcher('a.b*')('axbc')).toBe(false);
    expect(globMatcher('(x)?')('(x)1')).toBe(true);
  });
});

describe('quiet hours', () => {
  const at = (iso: string) => new Date(iso);
  it('spans midnight when start is after end, on the wall clock of their time zone', () => {
    const quiet = { start: '22:00', end: '07:00', timezone: 'UTC' };
    expect(inQuietHours(quiet, at('2026-12-05T23:30:00Z'))).toBe(true);
    expect(inQuietHours(quiet, at('2026-12-05T06:59:00Z'))).toBe(true);
    expect(inQuietHours(quiet, at('2026-12-05T07:00:00Z'))).toBe(false);
    expect(inQuietHours(quiet, at('2026-12-05T12:00:00Z'))).toBe(false);
    // 21:30 UTC is 22:30 in Paris (UTC+1 in December).
    expect(inQuietHours({ ...quiet, timezone: 'Europe/Paris' }, at('2026-12-05T21:30:00Z'))).toBe(true);
    expect(inQuietHours({ ...quiet, timezone: 'UTC' }, at('2026-12-05T21:30:00Z'))).toBe(false);
  });

  it('covers a window within a day, and never when start equals end or none is set', () => {
    expect(inQuietHours({ start: '12:00', end: '13:00', timezone: 'UTC' }, at('2026-12-05T12:30:00Z'))).toBe(true);
    expect(inQuietHours({ start: '12:00', end: '13:00', timezone: 'UTC' }, at('2026-12-05T13:30:00Z'))).toBe(false);
    expect(inQuietHours({ start: '12:00', end: '12:00', timezone: 'UTC' }, at('2026-12-05T12:00:00Z'))).toBe(false);
    expect(inQuietHours(undefined, at('2026-12-05T12:00:00Z'))).toBe(false);
    expect(inQuietHours({ timezone: 'UTC' }, at('2026-12-05T12:00:00Z'))).toBe(false);
  });
});

describe('the notifications settings', () => {
  it('accepts every channel type and refuses bad ones with the field named', () => {
    const ok = configSchema.safeParse({
      notifications: {
        channels: [
          { name: 'terminal', type: 'terminal' },
          { name: 'hook', type: 'command', argv: ['/bin/true'], events: ['needs_permission'] },
          { name: 'web', type: 'webhook', url: 'http://127.0.0.1:9/x', sessions: ['api-*'] },
        ],
        quietHours: { start: '22:00', end: '07:00', timezone: 'Europe/Paris' },
      },
    });
    expect(ok.success, JSON.stringify(ok.error?.issues)).toBe(true);
    const bad = (notifications: unknown) => configSchema.safeParse({ notifications }).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(bad({ channels: [{ name: 'x', type: 'pager' }] })?.join()).toMatch(/channels\.0\.type/);
    expect(bad({ channels: [{ name: 'x', type: 'command', argv: [] }] })?.join()).toMatch(/channels\.0\.argv/);
    expect(bad({ channels: [{ name: 'x', type: 'webhook', url: 'ftp://host/x' }] })?.join()).toMatch(/channels\.0\.url/);
    expect(bad({ channels: [{ name: 'x', type: 'terminal' }, { name: 'x', type: 'desktop' }] })?.join()).toMatch(/unique/);
    expect(bad({ quietHours: { start: '25:00', end: '07:00' } })?.join()).toMatch(/quietHours\.start: a time is HH:MM/);
    expect(bad({ quietHours: { start: '22:00', end: '07:00', timezone: 'Mars/Olympus' } })?.join()).toMatch(/quietHours\.timezone/);
  });
});

describe('webhook signatures', () => {
  const secret = 'a-secret-of-some-length';
  const body = JSON.stringify(event());
  const now = 1_800_000_000_000;
  const timestamp = now / 1000;

  it('signs the timestamp with the raw body, and a receiver verifies it', () => {
    const signature = signWebhook(secret, timestamp, body);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhook(secret, { signature, timestamp: String(timestamp) }, body, now)).toBe(true);
  });

  it('refuses another body, another key, another timestamp, and an old one (a replay)', () => {
    const signature = signWebhook(secret, timestamp, body);
    expect(verifyWebhook(secret, { signature, timestamp: String(timestamp) }, body + ' ', now)).toBe(false);
    expect(verifyWebhook('another-secret-entirely', { signature, timestamp: String(timestamp) }, body, now)).toBe(false);
    expect(verifyWebhook(secret, { signature, timestamp: String(timestamp + 1) }, body, now)).toBe(false);
    expect(verifyWebhook(secret, { signature, timestamp: String(timestamp) }, body, now + 301_000)).toBe(false);
    expect(verifyWebhook(secret, { signature: undefined, timestamp: String(timestamp) }, body, now)).toBe(false);
  });

  it('keeps a generated key 0600 and gives the same one back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpn-'));
    try {
      const file = path.join(dir, 'notify-secrets.json');
      const key = loadOrCreateWebhookSecret(file);
      expect(key.length).toBeGreaterThanOrEqual(32);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(loadOrCreateWebhookSecret(file)).toBe(key);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('summaries of tool arguments', () => {
  it('takes the command or file, on one line, with secrets redacted', () => {
    expect(summarizeArgs({ command: 'curl -H "Authorization: Bearer abcdefghijklmnop" \n https://x' })).toBe('curl -H "Authorization: Bearer [REDACTED]" https://x');
    expect(summarizeArgs({ file_path: '/a/b.ts' })).toBe('/a/b.ts');
    expect(summarizeArgs({ input: 'x', password: 'hunter2' })).toBe('{"input":"x","password":"[REDACTED]"}');
    expect(summarizeArgs({ command: 'x'.repeat(500) }).length).toBe(200);
  });
});

describe('the engine', () => {
  let dir: string;
  let db: Database.Database;
  let bus: EventBus;
  let settings: CodepiperConfig['notifications'];
  let now: Date;
  let questions: Map<string, OpenQuestion>;
  let terminal: NotificationEvent[];
  let engine: NotifyEngine;
  let deliveries: DeliveryLog;
  let logLines: string[];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpn-'));
    db = openDatabase(path.join(dir, 'codepiper.db'));
    bus = new EventBus();
    settings = { channels: [{ name: 'tty', type: 'terminal', events: ['needs_permission', 'needs_input', 'turn_finished', 'crashed', 'resolved'] }] };
    now = new Date('2026-12-05T12:00:00Z');
    questions = new Map();
    terminal = [];
    logLines = [];
    deliveries = new DeliveryLog(db, 50);
    const log = { info: (m: string) => logLines.push(m), warn: (m: string) => logLines.push(m), error: (m: string) => logLines.push(m) };
    engine = new NotifyEngine({
      bus,
      log,
      deliveries,
      settings: () => settings,
      sessions: () => [state('s1', 'idle')],
      openQuestion: (id) => questions.get(id),
      lastLine: async () => 'Which file? (1/2)',
      webUrl: () => 'http://127.0.0.1:4321',
      channelDeps: { env: {}, log, defaultWebhookSecret: () => 'x'.repeat(32), sleep: async () => undefined },
      now: () => now,
    });
    bus.subscribe(NOTIFICATIONS_TOPIC, (message) => terminal.push(message));
    engine.start();
  });

  afterEach(() => {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let since = 0;
  const state = (id: string, s: Session['state'], extra: Partial<Session> = {}): Session =>
    sessionFixture({ id, name: `name-${id}`, state: s, createdAt: '2026-12-05T10:00:00Z', stateSince: `2026-12-05T11:00:${String(since++ % 60).padStart(2, '0')}Z`, ...extra });
  const publish = (session: Session) => bus.publish(SESSIONS_TOPIC, session);

  it('lets a delivery under way at shutdown finish without touching the closed database', async () => {
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      const log = { info: () => {}, warn: () => {}, error: (m: string) => logLines.push(m) };
      const slow = new NotifyEngine({
        bus,
        log,
        deliveries,
        settings: () => ({ channels: [{ name: 'slow', type: 'command', argv: ['sh', '-c', 'sleep 0.3'], events: ['needs_permission'] }] }),
        sessions: () => [],
        openQuestion: () => undefined,
        lastLine: async () => null,
        webUrl: () => undefined,
        channelDeps: { env: process.env, log, defaultWebhookSecret: () => 'x'.repeat(32), sleep: async () => undefined },
        now: () => now,
      });
      const stop = slow.start();
      publish(state('s9', 'running'));
      publish(state('s9', 'needs_permission'));
      await waitFor(() => deliveries.list({ limit: 10 }).some((row) => row.channel === 'slow'), { what: 'the delivery under way' });
      stop();
      db.close(); // as the daemon's shutdown does, while the command still runs
      publish(state('s9', 'needs_input')); // after the stop: nothing new starts
      await slow.settled();
      await new Promise((resolve) => setImmediate(resolve));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
      db = openDatabase(path.join(dir, 'codepiper.db')); // for afterEach
    }
  });

  it('notifies a permission question once with its tool, redacted arguments and link, and resolves it when answered', async () => {
    publish(state('s1', 'running'));
    questions.set('s1', { id: 7, tool: 'Bash', args: { command: 'deploy --token=sekrit123' } });
    publish(state('s1', 'needs_permission'));
    // The state going back and forth on the same open question is still one event.
    publish(state('s1', 'running'));
    publish(state('s1', 'needs_permission'));
    questions.delete('s1');
    publish(state('s1', 'running'));
    publish(state('s1', 'idle'));
    await engine.settled();
    expect(terminal.map((e) => e.kind)).toEqual(['needs_permission', 'resolved', 'turn_finished']);
    const [asked, resolved] = terminal;
    expect(asked!.question).toEqual({ tool: 'Bash', summary: 'deploy --token=[REDACTED]' });
    expect(asked!.message).toBe('Bash: deploy --token=[REDACTED]');
    expect(asked!.link).toBe('http://127.0.0.1:4321/#/sessions/s1');
    expect(asked!.session).toEqual({ id: 's1', name: 'name-s1', provider: 'claude-code' });
    expect(resolved!.resolves).toBe(asked!.id);
  });

  it('carries the last screen line of a question for input, and reports a crash with its exit code', async () => {
    publish(state('s1', 'needs_input'));
    publish(state('s1', 'crashed', { exitCode: 3 }));
    await engine.settled();
    expect(terminal.map((e) => [e.kind, e.message])).toEqual([
      ['needs_input', 'Which file? (1/2)'],
      ['resolved', 'the question closed: the session ended'],
      ['crashed', 'the agent ended unexpectedly (exit code 3)'],
    ]);
    expect(terminal[0]!.lastLine).toBe('Which file? (1/2)');
  });

  it('takes the states it starts with as the baseline, and an idle after anything but running is no turn', async () => {
    publish(state('s1', 'idle'));
    publish(state('s2', 'starting'));
    publish(state('s2', 'idle'));
    await engine.settled();
    expect(terminal).toEqual([]);
  });

  it('gives each event to a channel once, and records suppressed deliveries in the quiet hours', async () => {
    settings = { ...settings, quietHours: { start: '11:00', end: '13:00', timezone: 'UTC' } };
    publish(state('s1', 'running'));
    publish(state('s1', 'idle'));
    await engine.settled();
    expect(terminal).toEqual([]);
    const [row] = deliveries.list({ limit: 10 });
    expect(row).toMatchObject({ channel: 'tty', kind: 'turn_finished', outcome: 'suppressed', error: 'quiet hours', attempts: 0 });
    expect(logLines.join('\n')).toMatch(/turn_finished of session s1 not sent to 1 channel\(s\): quiet hours \(11:00-13:00\)/);
    // Outside them, it goes.
    now = new Date('2026-12-05T14:00:00Z');
    publish(state('s1', 'running'));
    publish(state('s1', 'idle'));
    await engine.settled();
    expect(terminal.map((e) => e.kind)).toEqual(['turn_finished']);
    expect(deliveries.list({ limit: 10 })[0]).toMatchObject({ outcome: 'delivered', attempts: 1 });
  });

  it('keeps the delivery log bounded and refuses a second row for the same event and channel', () => {
    for (let n = 0; n < 60; n++) deliveries.open({ name: 'tty', type: 'terminal' }, event({ id: `e${n}` }), 'pending');
    expect(deliveries.open({ name: 'tty', type: 'terminal' }, event({ id: 'e59' }), 'pending')).toBeUndefined();
    const rows = deliveries.list({ limit: 1000 });
    expect(rows.length).toBeLessThanOrEqual(51);
    expect(rows[0]!.eventId).toBe('e59');
  });

  it('sends a test to a named channel or every one, and names the channels when the name is wrong', async () => {
    settings = { channels: [{ name: 'tty', type: 'terminal' }, { name: 'off', type: 'terminal', enabled: false }] };
    const all = await engine.test();
    expect(all.results.map((r) => [r.channel, r.outcome])).toEqual([['tty', 'delivered']]);
    const one = await engine.test('off');
    expect(one.results.map((r) => [r.channel, r.kind, r.outcome])).toEqual([['off', 'test', 'delivered']]);
    await expect(engine.test('nope')).rejects.toThrow('no notification channel "nope" (channels: tty, off)');
  });
});

describe('the default channels', () => {
  it('are the terminal, and the desktop only where a session bus and notify-send or gdbus are found', async () => {
    const { defaultChannels } = await import('../../src/core/notify/engine');
    const { desktopReach } = await import('../../src/core/notify/channels/desktop');
    expect(defaultChannels(false).map((c) => c.type)).toEqual(['terminal']);
    expect(defaultChannels(true).map((c) => c.type)).toEqual(['terminal', 'desktop']);
    expect(desktopReach({ PATH: '/usr/bin:/bin' })).toEqual({ via: null, reason: 'no session bus (DBUS_SESSION_BUS_ADDRESS is not set)' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpn-'));
    try {
      fs.writeFileSync(path.join(dir, 'notify-send'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      expect(desktopReach({ PATH: dir, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' })).toEqual({ via: 'notify-send', binary: path.join(dir, 'notify-send') });
      expect(desktopReach({ PATH: path.join(dir, 'none'), DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' })).toMatchObject({ via: null, reason: 'neither notify-send nor gdbus is on PATH' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the desktop and command channels', () => {
  const deps = (env: NodeJS.ProcessEnv) => ({
    env,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    defaultWebhookSecret: () => 'x'.repeat(32),
    publishToTerminals: () => 0,
    sleep: async () => undefined,
  });

  it('calls notify-send with the title and message, and is unavailable without a session bus', async () => {
    const { createChannel } = await import('../../src/core/notify/channels');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpn-'));
    try {
      const out = path.join(dir, 'argv.txt');
      fs.writeFileSync(path.join(dir, 'notify-send'), `#!/bin/sh\nprintf '%s\\n' "$@" > ${out}\n`, { mode: 0o755 });
      const desktop = createChannel({ name: 'd', type: 'desktop' }, deps({ PATH: `${dir}:/usr/bin:/bin`, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' }));
      const done = await desktop.deliver(event({ title: 'api needs permission', message: 'Bash: ls', link: 'http://127.0.0.1:1/#/sessions/s' }), () => undefined);
      expect(done).toMatchObject({ outcome: 'delivered', attempts: 1 });
      expect(fs.readFileSync(out, 'utf8').split('\n')).toEqual(['--app-name=CodePiper', '--urgency=critical', '--', 'api needs permission', 'Bash: ls', 'http://127.0.0.1:1/#/sessions/s', '']);
      const absent = createChannel({ name: 'd', type: 'desktop' }, deps({ PATH: dir }));
      expect(await absent.deliver(event(), () => undefined)).toMatchObject({ outcome: 'unavailable', attempts: 0 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('records a command that fails, with its exit status and stderr, and kills one that runs past its timeout', async () => {
    const { createChannel } = await import('../../src/core/notify/channels');
    const failing = createChannel({ name: 'c', type: 'command', argv: [process.execPath, '-e', 'process.stderr.write("no route to pager\\n"); process.exit(4)'] }, deps(process.env));
    expect(await failing.deliver(event(), () => undefined)).toMatchObject({ outcome: 'failed', error: `${process.execPath} exited with 4: no route to pager`, detail: { exitCode: 4, stderr: 'no route to pager\n' } });
    const slow = createChannel({ name: 'c', type: 'command', argv: [process.execPath, '-e', 'setTimeout(() => {}, 10000)'], timeoutMs: 200 }, deps(process.env));
    expect(await slow.deliver(event(), () => undefined)).toMatchObject({ outcome: 'failed', error: `${process.execPath} ran past 200 ms and was killed` });
    const missing = createChannel({ name: 'c', type: 'command', argv: ['/nonexistent/program'] }, deps(process.env));
    expect(await missing.deliver(event(), () => undefined)).toMatchObject({ outcome: 'failed', error: expect.stringMatching(/^cannot run \/nonexistent\/program: .*ENOENT/) });
  });
});

describe('the webhook channel', () => {
  it('retries network errors with backoff, reporting each attempt, and fails after maxAttempts', async () => {
    const http = await import('node:http');
    const { createChannel } = await import('../../src/core/notify/channels');
    // A port that was free a moment ago: nothing listens there now, so each attempt is refused.
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
    const waits: number[] = [];
    const progress: string[] = [];
    const channel = createChannel(
      { name: 'w', type: 'webhook', url: `http://127.0.0.1:${port}/x`, maxAttempts: 3 },
      {
        env: {},
        log: { info: () => undefined, warn: () => undefined, error: () => undefined },
        defaultWebhookSecret: () => 'x'.repeat(32),
        publishToTerminals: () => 0,
        sleep: async (ms) => void waits.push(ms),
      },
    );
    const done = await channel.deliver(event(), (report) => progress.push(`${report.outcome} ${report.attempts}`));
    expect(done).toMatchObject({ outcome: 'failed', attempts: 3, error: 'network error: ECONNREFUSED' });
    expect(waits).toEqual([500, 1000]);
    expect(progress).toEqual(['pending 1', 'pending 2']);
  });
});
