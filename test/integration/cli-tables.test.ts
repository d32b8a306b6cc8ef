// Tables as a person reads them, from the real binary against a real daemon: columns line up after CJK and emoji
// titles, a narrow terminal shortens the directory from the left and drops optional columns, colour follows
// NO_COLOR / FORCE_COLOR on a pipe, and --json carries ISO 8601 times.
import fs from 'node:fs';
import path from 'node:path';
import stringWidth from 'string-width';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../helpers/harness';
import { waitFor } from '../helpers/wait';

let harness: Harness;
/** The harness's environment with nothing of the test runner's terminal in it (colour, width). */
let env: NodeJS.ProcessEnv;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const TITLES = ['修复解析器中不稳定的测试', 'ship the 🚀 release 👨‍👩‍👧‍👦 today', 'plain ascii title'];
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/;

/** A Claude Code transcript whose first prompt (its title) is `title`, its last line `minutesAgo` minutes ago. */
function writeTranscript(index: number, title: string, minutesAgo: number): void {
  const dir = path.join(harness.env.CLAUDE_CONFIG_DIR!, 'projects', `-srv-project-${index}`);
  fs.mkdirSync(dir, { recursive: true });
  const sessionId = `0000000${index}-0000-4000-8000-000000000000`;
  const at = (offset: number) => new Date(Date.now() - (minutesAgo - offset) * 60_000).toISOString();
  const lines = [
    { type: 'user', sessionId, uuid: `u${index}`, cwd: `/srv/project-${index}`, timestamp: at(-1), message: { role: 'user', content: title } },
    {
      type: 'assistant',
      sessionId,
      uuid: `a${index}`,
      cwd: `/srv/project-${index}`,
      timestamp: at(0),
      requestId: `r${index}`,
      message: { id: `m${index}`, role: 'assistant', model: 'claude-sonnet-4-5', content: [{ type: 'text', text: 'done' }], usage: { input_tokens: 10, output_tokens: 5 } },
    },
  ];
  fs.writeFileSync(path.join(dir, `${sessionId}.jsonl`), lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
}

beforeAll(async () => {
  harness = createHarness();
  env = { ...harness.env };
  for (const key of ['FORCE_COLOR', 'NO_COLOR', 'COLUMNS', 'LINES']) delete env[key];
  TITLES.forEach((title, i) => writeTranscript(i + 1, title, 5 + i));
  const started = await harness.run(['daemon', 'start', '--detach'], { env });
  expect(started.code, started.stderr).toBe(0);
  const scanned = await harness.run(['library', 'scan'], { env });
  expect(scanned.code, scanned.stderr).toBe(0);
});

afterAll(async () => {
  await harness?.cleanup();
});

/** The display column where the match of `pattern` starts in `line`. */
function columnOf(line: string, pattern: RegExp): number {
  const match = pattern.exec(line);
  expect(match, `${pattern} in ${line}`).not.toBeNull();
  return stringWidth(line.slice(0, match!.index));
}

describe('tables with wide characters', () => {
  it('library list lines up every column after CJK and emoji titles', async () => {
    const listed = await harness.run(['library', 'list'], { env: { ...env, COLUMNS: '120' } });
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.split('\n').filter((line) => /^[0-9a-f]{8} |^ID /.test(line));
    expect(lines).toHaveLength(1 + TITLES.length);
    for (const title of TITLES) expect(listed.stdout).toContain(title);
    // COST is right-aligned and last: every line ends at the same display column.
    expect(new Set(lines.map((line) => stringWidth(line))).size, listed.stdout).toBe(1);
    // The time column starts at one display column in every row, under its header, in the one time format.
    const header = lines[0]!;
    const times = lines.slice(1).map((line) => columnOf(line, /\d+m ago/));
    expect(new Set([columnOf(header, /LAST ACTIVITY/), ...times]).size, listed.stdout).toBe(1);
  });

  it('cuts a long CJK title by display width at a narrow terminal, still aligned', async () => {
    const listed = await harness.run(['library', 'list'], { env: { ...env, COLUMNS: '60' } });
    const lines = listed.stdout.split('\n').filter((line) => /^[0-9a-f]{8} |^ID /.test(line));
    for (const line of lines) expect(stringWidth(line), line).toBeLessThanOrEqual(60);
    const costs = lines.map((line) => stringWidth(line));
    expect(new Set(costs).size, listed.stdout).toBe(1);
  });

  it('carries ISO 8601 times in --json', async () => {
    const listed = JSON.parse((await harness.run(['library', 'list', '--json'], { env })).stdout);
    for (const session of listed.sessions) {
      expect(session.lastActivity).toMatch(ISO);
      expect(session.firstActivity).toMatch(ISO);
    }
  });
});

describe('sessions at a narrow width, and colour', () => {
  let dir: string;
  beforeAll(async () => {
    dir = path.join(harness.dir, 'work', 'clients', 'northwind', 'services', 'billing-gateway');
    fs.mkdirSync(dir, { recursive: true });
    const started = await harness.run(['start', '-p', 'command', '-d', dir, '--name', 'gw', '--', 'sleep', '600'], { env });
    expect(started.code, started.stderr).toBe(0);
    await waitFor(async () => JSON.parse((await harness.run(['sessions', '--json'], { env })).stdout)[0]?.state !== 'starting', { what: 'the session to start' });
  });

  it('at COLUMNS=60 keeps the directory by its last part, shortened from the left, on lines of 60 columns', async () => {
    const listed = await harness.run(['sessions'], { env: { ...env, COLUMNS: '60' } });
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trimEnd().split('\n');
    for (const line of lines) expect(stringWidth(line), line).toBeLessThanOrEqual(60);
    expect(lines[1]).toMatch(/…\/billing-gateway$/);
    expect(lines[1]).toMatch(/^[0-9a-f]{8} /);
    // Without COLUMNS a pipe is 80 columns wide; the whole path needs more, so it is cut there too.
    const piped = await harness.run(['sessions'], { env });
    for (const line of piped.stdout.trimEnd().split('\n')) expect(stringWidth(line), line).toBeLessThanOrEqual(80);
    expect(piped.stdout).toMatch(/billing-gateway\n/);
    // Wide enough, the whole directory.
    const wide = await harness.run(['sessions'], { env: { ...env, COLUMNS: '200' } });
    expect(wide.stdout).toContain(dir);
  });

  it('colours the state on a pipe with FORCE_COLOR=1, never with NO_COLOR or FORCE_COLOR=0, and not by default', async () => {
    const forced = await harness.run(['sessions'], { env: { ...env, FORCE_COLOR: '1' } });
    expect(forced.stdout).toMatch(ANSI);
    expect(forced.stdout).toMatch(/\u001b\[[0-9;]*m(running|idle)\u001b\[[0-9;]*m/);
    // The same table underneath the colour (times aside, which move on between the two runs).
    const ages = (text: string) => text.replace(/\d+[smh] ago/g, 'AGE').replace(/ +/g, ' ');
    const plain = await harness.run(['sessions'], { env });
    expect(plain.stdout).not.toMatch(ANSI);
    expect(ages(forced.stdout.replace(new RegExp(ANSI.source, 'g'), ''))).toBe(ages(plain.stdout));
    expect((await harness.run(['sessions'], { env: { ...env, NO_COLOR: '1' } })).stdout).not.toMatch(ANSI);
    expect((await harness.run(['sessions'], { env: { ...env, NO_COLOR: '1', FORCE_COLOR: '1' } })).stdout).not.toMatch(ANSI);
    expect((await harness.run(['sessions'], { env: { ...env, FORCE_COLOR: '0' } })).stdout).not.toMatch(ANSI);
  });

  it('lines up coloured cells by their visible width', async () => {
    const forced = await harness.run(['sessions'], { env: { ...env, FORCE_COLOR: '1', COLUMNS: '200' } });
    const lines = forced.stdout.trimEnd().split('\n');
    const cwd = lines.map((line) => columnOf(line, /CWD|\//));
    expect(new Set(cwd).size, forced.stdout).toBe(1);
  });

  it('carries ISO 8601 times in sessions, logs and daemon status --json, and local times to the second in logs', async () => {
    const [session] = JSON.parse((await harness.run(['sessions', '--json'], { env })).stdout);
    for (const field of ['stateSince', 'createdAt', 'updatedAt']) expect(session[field], field).toMatch(ISO);
    expect(JSON.parse((await harness.run(['daemon', 'status', '--json'], { env })).stdout).startedAt).toMatch(ISO);
    const events = (await harness.run(['logs', session.id, '--json'], { env })).stdout.trim().split('\n');
    expect(events.length).toBeGreaterThan(0);
    for (const line of events) expect(JSON.parse(line).at).toMatch(ISO);
    // The text forms: the log to the second, in local time; the daemon's start likewise.
    expect((await harness.run(['logs', session.id], { env })).stdout).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}  process created/m);
    expect((await harness.run(['daemon', 'status'], { env })).stdout).toMatch(/^started +\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/m);
  });
});
