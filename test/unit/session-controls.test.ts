import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { routes, type RouteDef } from '../../src/core/api';
import { createCore, type Core } from '../../src/core/app';
import type { Logger } from '../../src/core/log';
import { resolvePaths, type Paths } from '../../src/core/paths';
import { RUNTIMES } from '../../src/core/providers/runtime';
import { modelInArgs } from '../../src/core/sessions/model';
import { sniffImage } from '../../src/core/sessions/uploads';
import type { HandlerContext } from '../../src/daemon/context';
import { createRouter } from '../../src/daemon/router';
import { MemoryRunner, type MemoryTerminal, type Program } from '../helpers/memory-runner';
import { waitFor } from '../helpers/wait';

describe('image types by their bytes', () => {
  it('knows PNG, JPEG, GIF and WebP by their signatures, and nothing by a name', () => {
    expect(sniffImage(Buffer.from('89504e470d0a1a0a0000', 'hex'))?.type).toBe('image/png');
    expect(sniffImage(Buffer.from('ffd8ffe000104a464946', 'hex'))).toEqual({ type: 'image/jpeg', extension: 'jpg' });
    expect(sniffImage(Buffer.from('GIF87a....', 'latin1'))?.extension).toBe('gif');
    expect(sniffImage(Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ', 'latin1'))?.type).toBe('image/webp');
    for (const bytes of ['89504e47', '', '3c68746d6c3e', 'ffd8', '52494646000000004156492020']) expect(sniffImage(Buffer.from(bytes, 'hex')), bytes).toBeUndefined();
  });
});

describe('models as the agents print them', () => {
  it("reads Claude Code's confirmation, with or without the model's id", () => {
    const confirm = RUNTIMES['claude-code'].model!.confirmation;
    expect(confirm('  ⎿  Set model to claude-opus-4-1')?.model).toBe('claude-opus-4-1');
    expect(confirm('  ⎿  Set model to opus (claude-opus-4-1-20250805)')?.model).toBe('claude-opus-4-1-20250805');
    expect(confirm('  ⎿  Set model to **Default (recommended)**')?.model).toBe('Default (recommended)');
    expect(confirm('> /model opus')).toBeUndefined();
  });

  it("reads Codex's confirmation and header", () => {
    const codex = RUNTIMES.codex.model!;
    expect(codex.confirmation('• Model changed to gpt-5.1-codex medium')?.model).toBe('gpt-5.1-codex');
    expect(codex.current('  model:     gpt-5-codex medium   /model to change')?.model).toBe('gpt-5-codex');
    expect(codex.confirmation('user: /model gpt-5')).toBeUndefined();
    expect(RUNTIMES.command.model).toBeUndefined();
  });

  it('finds --model, --model= and -m in launch arguments, the last one winning', () => {
    expect(modelInArgs(['--model', 'a', '--verbose'])).toBe('a');
    expect(modelInArgs(['--model=b'])).toBe('b');
    expect(modelInArgs(['-m', 'c', '--model', 'd'])).toBe('d');
    expect(modelInArgs(['--model'])).toBeUndefined();
    expect(modelInArgs([])).toBeUndefined();
  });
});

/** An agent that draws Claude Code's idle input box and reads every line typed into it, but never answers. */
function silentClaude(): Program {
  const box = '\n' + '─'.repeat(40) + '\n❯ \n' + '─'.repeat(40) + '\n  ? for shortcuts';
  return {
    start: (terminal: MemoryTerminal) => terminal.write(`Silent Claude${box}`),
    onInput(terminal: MemoryTerminal, input) {
      if ('key' in input && input.key === 'enter') terminal.write(box);
    },
  };
}

describe('a model switch the agent does not confirm', () => {
  let dir: string;
  let paths: Paths;
  let core: Core | undefined;
  const log: Logger = { info: () => {}, warn: () => {}, error: () => {} };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpc-'));
    paths = resolvePaths({ env: { CODEPIPER_HOME: path.join(dir, 'home') } });
    fs.mkdirSync(paths.home, { recursive: true, mode: 0o700 });
  });

  afterEach(() => {
    core?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is answered as typed but unconfirmed, and not taken for the model in use', async () => {
    const runner = new MemoryRunner(() => silentClaude());
    const env = { PATH: process.env.PATH, CODEPIPER_HOME: paths.home, CODEPIPER_CLAUDE_BIN: process.execPath, CLAUDE_CONFIG_DIR: path.join(dir, 'claude') };
    core = await createCore({ paths, env, config: { transcripts: { scanOnStart: false } }, log, hookCommand: 'true', runner });
    const session = await core.sessions.create({ provider: 'claude-code', cwd: dir, args: ['--model', 'claude-sonnet-4-5'], env: {}, dangerousMode: false, cleanEnv: false, cols: 80, rows: 24 });
    await waitFor(() => core!.sessions.get(session.id).state === 'idle', { what: 'idle at the input box' });

    const started = Date.now();
    const result = await core.controls.model.set(session.id, 'claude-opus-4-1', 600);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(result).toMatchObject({ confirmed: false, model: null, evidence: null, requested: 'claude-opus-4-1' });
    expect(result.message).toMatch(/did not confirm a model within 0\.6 s/);
    const terminal = [...runner.terminals.values()][0]!;
    expect(terminal.inputs.slice(-2)).toEqual([{ literal: '/model claude-opus-4-1' }, { key: 'enter' }]);
    // What is in use is still what the arguments said: an unconfirmed switch is not evidence.
    expect(await core.controls.model.get(session.id)).toMatchObject({ model: 'claude-sonnet-4-5', source: 'args' });
    const events = core.sessions.events(session.id, { limit: 1000, offset: 0 }).events.filter((event) => event.type === 'model');
    expect(events.map((event) => event.data)).toEqual([{ requested: 'claude-opus-4-1', confirmed: false, model: null }]);
  });
});

describe('the router and request bodies', () => {
  const fakeDaemon = { log: { info: () => {}, warn: () => {}, error: () => {} }, core: undefined, requestShutdown: () => {} } as unknown as HandlerContext['daemon'];
  const received: unknown[] = [];
  const handlers = Object.fromEntries(routes.map((route) => [route.name, (input: unknown) => received.push(input)]));
  const router = createRouter(routes as unknown as RouteDef[], handlers, (request): HandlerContext => ({ daemon: fakeDaemon, transport: request.transport, headers: {}, secure: false, responseHeaders: {} }));

  it('gives the upload route its own body limit and every other route the default', () => {
    expect(router.bodyLimit('POST', '/sessions/abc/upload-image', 1024)).toBe(16 * 1024 * 1024);
    expect(router.bodyLimit('POST', '/sessions/abc/upload-image?x=1', 1024)).toBe(16 * 1024 * 1024);
    expect(router.bodyLimit('GET', '/sessions/abc/upload-image', 1024)).toBe(1024);
    expect(router.bodyLimit('POST', '/sessions/abc/send', 1024)).toBe(1024);
    expect(router.bodyLimit('POST', '/sessions/%zz/upload-image', 1024)).toBe(1024);
  });

  it('turns a multipart body into the same input as JSON, and refuses multipart where only JSON goes', async () => {
    const form = new FormData();
    form.append('image', new Blob([Buffer.from('89504e470d0a1a0a', 'hex')]), 'shot.png');
    form.append('typePath', 'false');
    const request = new Request('http://x/', { method: 'POST', body: form });
    const body = Buffer.from(await request.arrayBuffer());
    const headers = { 'content-type': request.headers.get('content-type')! };
    received.length = 0;
    const answer = await router.dispatch({ method: 'POST', url: '/sessions/abc/upload-image', body, transport: 'unix', headers });
    expect(received).toEqual([{ id: 'abc', name: 'shot.png', dataBase64: Buffer.from('89504e470d0a1a0a', 'hex').toString('base64'), typePath: false }]);
    // The handler here answers nothing: the output check fails, which shows the input got through.
    expect(answer.status).toBe(500);

    const elsewhere = await router.dispatch({ method: 'POST', url: '/sessions/abc/send', body, transport: 'unix', headers });
    expect(elsewhere.status).toBe(415);
    const broken = await router.dispatch({ method: 'POST', url: '/sessions/abc/upload-image', body: Buffer.from('garbage'), transport: 'unix', headers });
    expect(broken.status).toBe(400);
  });
});
