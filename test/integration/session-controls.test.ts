import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, createHarness, modeOf, type Harness } from '../helpers/harness';
import { daemonApi } from '../helpers/daemon-api';
import { waitFor } from '../helpers/wait';

const FAKE_CLAUDE = path.join(ROOT, 'test/fixtures/fake-claude.cjs');
const FAKE_CODEX = path.join(ROOT, 'test/fixtures/fake-codex.cjs');

/** A real 1x1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
/** A GIF's header is all the sniffing reads. */
const GIF = Buffer.concat([Buffer.from('GIF89a', 'latin1'), Buffer.alloc(32, 1)]);

let harness: Harness;
let client: Client;

beforeAll(async () => {
  harness = createHarness();
  Object.assign(harness.env, { CODEPIPER_CLAUDE_BIN: FAKE_CLAUDE, CODEPIPER_CODEX_BIN: FAKE_CODEX });
  const started = await harness.run(['daemon', 'start', '--detach']);
  expect(started.code, started.stderr).toBe(0);
  client = new Client('http://localhost', { socketPath: harness.socket });
});

afterAll(async () => {
  await client?.close();
  await harness?.cleanup();
});

const { api, screen, untilScreen, untilState } = daemonApi(() => client);

async function create(body: Record<string, unknown>): Promise<{ id: string; agentSessionId: string | null; transcriptPath: string | null }> {
  const { status, json } = await api('POST', '/sessions', { cwd: harness.dir, ...body });
  expect(status, JSON.stringify(json)).toBe(200);
  return json;
}

async function send(id: string, text: string): Promise<void> {
  const { status, json } = await api('POST', `/sessions/${id}/send`, { text });
  expect(status, JSON.stringify(json)).toBe(200);
}

/** A multipart/form-data body written out by hand, so the test does not lean on the parser it checks. */
function multipart(parts: Array<{ name: string; value: string } | { name: string; filename: string; type: string; data: Buffer }>): { body: Buffer; type: string } {
  const boundary = `----cptest${Date.now()}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const head = 'filename' in part
      ? `--${boundary}\r\ncontent-disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\ncontent-type: ${part.type}\r\n\r\n`
      : `--${boundary}\r\ncontent-disposition: form-data; name="${part.name}"\r\n\r\n`;
    chunks.push(Buffer.from(head), 'filename' in part ? part.data : Buffer.from(part.value), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

async function postRaw(route: string, body: Buffer, contentType: string): Promise<{ status: number; json: any }> {
  const response = await client.request({ method: 'POST', path: route, headers: { 'content-type': contentType }, body });
  const text = await response.body.text();
  return { status: response.statusCode, json: text ? JSON.parse(text) : undefined };
}

function uploads(id: string): string[] {
  const dir = path.join(harness.home, 'sessions', id, 'uploads');
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
}

describe('model switch on the fake Claude Code', () => {
  let id: string;

  it('reads the model from the launch arguments, then from the transcript', async () => {
    id = (await create({ provider: 'claude-code', args: ['--model', 'claude-sonnet-4-5-20250929'] })).id;
    await untilState(id, 'idle');
    const before = await api('GET', `/sessions/${id}/model`);
    expect(before.status).toBe(200);
    expect(before.json).toMatchObject({ sessionId: id, provider: 'claude-code', supportsModelSwitch: true, model: 'claude-sonnet-4-5-20250929' });
    expect(['args', 'transcript']).toContain(before.json.source);
    await send(id, 'echo first turn');
    await waitFor(async () => (await api('GET', `/sessions/${id}/model`)).json.source === 'transcript', { what: 'the model read from the transcript', timeoutMs: 15_000 });
  });

  it('switches with /model, reads the new model back from the screen, and the transcript carries it on', async () => {
    await untilState(id, 'idle');
    const switched = await api('PUT', `/sessions/${id}/model`, { model: 'claude-opus-4-1' });
    expect(switched.status, JSON.stringify(switched.json)).toBe(200);
    expect(switched.json).toMatchObject({ confirmed: true, requested: 'claude-opus-4-1', model: 'claude-opus-4-1' });
    expect(switched.json.evidence.text).toContain('Set model to claude-opus-4-1');
    expect(await screen(id)).toContain('Set model to claude-opus-4-1');
    const read = await api('GET', `/sessions/${id}/model`);
    expect(read.json.model).toBe('claude-opus-4-1');

    // The agent's next reply is written with the new model, and that is what is read from then on.
    const session = (await api('GET', `/sessions/${id}`)).json;
    await send(id, 'echo second turn');
    const reply = await waitFor(() => {
      const lines = fs.existsSync(session.transcriptPath) ? fs.readFileSync(session.transcriptPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line)) : [];
      return lines.filter((line) => line.type === 'assistant' && JSON.stringify(line).includes('second turn')).at(-1);
    }, { what: 'the reply to the second turn in the transcript', timeoutMs: 15_000 });
    expect(reply.message.model).toBe('claude-opus-4-1');
    expect((await api('GET', `/sessions/${id}/model`)).json).toMatchObject({ model: 'claude-opus-4-1', source: 'transcript' });
  });

  it('says what is wrong with a model name that is not one', async () => {
    for (const model of ['two words', 'x\ny', '', '-flag', 'a\u001b[31m']) {
      const bad = await api('PUT', `/sessions/${id}/model`, { model });
      expect(bad.status, model).toBe(400);
      expect(bad.json.error.code).toBe('VALIDATION_FAILED');
      expect(bad.json.error.message).toMatch(/model/);
    }
  });

  it('refuses a busy session with 409 SESSION_BUSY and types nothing', async () => {
    await untilState(id, 'idle');
    await send(id, 'work 4000');
    await untilState(id, 'running');
    const busy = await api('PUT', `/sessions/${id}/model`, { model: 'claude-haiku-4-5' });
    expect(busy.status).toBe(409);
    expect(busy.json.error.code).toBe('SESSION_BUSY');
    expect(busy.json.error.message).toMatch(/running/);
    await untilState(id, 'idle');
    expect(await screen(id)).not.toContain('haiku');
  });

  it('refuses a session that shows a question (needs input): the Enter would answer it', async () => {
    const asking = (await create({ provider: 'claude-code', args: ['--trust-prompt'] })).id;
    await untilState(asking, 'needs_input');
    const refused = await api('PUT', `/sessions/${asking}/model`, { model: 'claude-opus-4-1' });
    expect(refused.status).toBe(409);
    expect(refused.json.error).toMatchObject({ code: 'SESSION_BUSY' });
    expect(refused.json.error.message).toMatch(/needs input.*a question/);
    expect(await screen(asking)).toContain('Do you trust the files in this folder?');
    await api('POST', `/sessions/${asking}/kill`);
  });

  it('codepiper model prints and switches, with --json', async () => {
    const printed = await harness.run(['model', id]);
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(/^claude-opus-4-1 \(transcript/);
    const switched = await harness.run(['model', id, 'claude-haiku-4-5', '--json']);
    expect(switched.code, switched.stderr).toBe(0);
    expect(JSON.parse(switched.stdout)).toMatchObject({ confirmed: true, model: 'claude-haiku-4-5' });
    const read = await harness.run(['model', id, '--json']);
    expect(JSON.parse(read.stdout).model).toBe('claude-haiku-4-5');
  });
});

describe('model switch on the fake Codex', () => {
  it('reads the model from its header, switches with its own /model and reads the switch back', async () => {
    const { id } = await create({ provider: 'codex' });
    await untilState(id, 'idle');
    expect((await api('GET', `/sessions/${id}/model`)).json).toMatchObject({ model: 'gpt-5-codex', source: 'screen', supportsModelSwitch: true });
    const switched = await api('PUT', `/sessions/${id}/model`, { model: 'gpt-5.1-codex' });
    expect(switched.status, JSON.stringify(switched.json)).toBe(200);
    expect(switched.json).toMatchObject({ confirmed: true, model: 'gpt-5.1-codex', evidence: { source: 'screen' } });
    expect(switched.json.evidence.text).toContain('Model changed to gpt-5.1-codex');
    expect((await api('GET', `/sessions/${id}/model`)).json.model).toBe('gpt-5.1-codex');
  });
});

describe('a bash session: model refused, terminal view, image uploads', () => {
  let id: string;

  it('has no model switch: MODEL_SWITCH_UNSUPPORTED', async () => {
    id = (await create({ provider: 'command', args: ['bash', '--norc', '--noprofile'], env: { PS1: '$ ' }, cols: 100, rows: 30 })).id;
    await untilScreen(id, /\$/);
    const refused = await api('PUT', `/sessions/${id}/model`, { model: 'gpt-5' });
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('MODEL_SWITCH_UNSUPPORTED');
    expect((await api('GET', `/sessions/${id}/model`)).json).toMatchObject({ supportsModelSwitch: false, model: null });
  });

  it('tells the terminal: normal mode, the scrollback, the size', async () => {
    await send(id, 'for i in $(seq 1 300); do echo row-$i; done');
    await untilScreen(id, /row-300\n/);
    const info = await api('GET', `/sessions/${id}/terminal/info`);
    expect(info.status).toBe(200);
    expect(info.json).toMatchObject({ sessionId: id, mode: 'normal', scrollPosition: 0, historyLimit: 50_000, cols: 100, rows: 30 });
    expect(info.json.historySize).toBeGreaterThanOrEqual(270);
  });

  it('finds rows of the scrollback with their row numbers, without moving the view', async () => {
    const found = await api('POST', `/sessions/${id}/terminal/search`, { query: 'ROW-7' });
    expect(found.status, JSON.stringify(found.json)).toBe(200);
    // row-7 and row-70 … row-79 (the command line says row-$i).
    expect(found.json.matches.map((match: { text: string }) => match.text)).toEqual(['row-7', ...Array.from({ length: 10 }, (_, i) => `row-7${i}`)]);
    expect(found.json).toMatchObject({ total: 11, truncated: false });
    const { historySize } = found.json;
    for (const match of found.json.matches) expect(match.line).toBe(historySize + match.offset + 1);

    const pair = (await api('POST', `/sessions/${id}/terminal/search`, { query: '^row-(7|8)$', regex: true })).json;
    expect(pair.matches.map((match: { text: string }) => match.text)).toEqual(['row-7', 'row-8']);
    expect(pair.matches[1].line).toBe(pair.matches[0].line + 1);

    expect((await api('POST', `/sessions/${id}/terminal/search`, { query: 'ROW-300', caseSensitive: true })).json.total).toBe(0);
    const limited = (await api('POST', `/sessions/${id}/terminal/search`, { query: 'row-', limit: 5 })).json;
    expect(limited).toMatchObject({ truncated: true });
    expect(limited.matches).toHaveLength(5);
    expect(limited.total).toBeGreaterThanOrEqual(300);

    const bad = await api('POST', `/sessions/${id}/terminal/search`, { query: '(unclosed', regex: true });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/regular expression/);
    expect((await api('GET', `/sessions/${id}/terminal/info`)).json.mode).toBe('normal');
  });

  it('enters copy mode, scrolls by lines, to the top and back to the live screen', async () => {
    const copy = await api('POST', `/sessions/${id}/terminal/mode`, { mode: 'copy' });
    expect(copy.json).toMatchObject({ mode: 'copy', scrollPosition: 0 });
    const up = await api('POST', `/sessions/${id}/terminal/scroll`, { direction: 'up', lines: 10 });
    expect(up.json).toMatchObject({ mode: 'copy', scrollPosition: 10 });
    const top = (await api('POST', `/sessions/${id}/terminal/scroll`, { to: 'top' })).json;
    expect(top.scrollPosition).toBe(top.historySize);
    const down = (await api('POST', `/sessions/${id}/terminal/scroll`, { direction: 'down', lines: 5 })).json;
    expect(down.scrollPosition).toBe(top.historySize - 5);
    expect((await api('POST', `/sessions/${id}/terminal/scroll`, { to: 'bottom' })).json).toMatchObject({ mode: 'normal', scrollPosition: 0 });
    // From the live screen, up enters copy mode by itself; normal leaves it.
    expect((await api('POST', `/sessions/${id}/terminal/scroll`, { direction: 'up' })).json).toMatchObject({ mode: 'copy', scrollPosition: 30 });
    expect((await api('POST', `/sessions/${id}/terminal/mode`, { mode: 'normal' })).json.mode).toBe('normal');
    expect((await api('POST', `/sessions/${id}/terminal/mode`, { mode: 'normal' })).json.mode).toBe('normal');

    // Text sent while the view is in copy mode reaches the program, not the copy mode.
    await api('POST', `/sessions/${id}/terminal/scroll`, { direction: 'up', lines: 4 });
    await send(id, 'echo sent-in-copy-$((6*7))');
    await untilScreen(id, /^sent-in-copy-42$/m);
    expect((await api('GET', `/sessions/${id}/terminal/info`)).json.mode).toBe('normal');

    for (const body of [{ direction: 'up', to: 'top' }, { lines: 5 }, {}, { to: 'middle' }, { direction: 'up', lines: 0 }]) {
      const bad = await api('POST', `/sessions/${id}/terminal/scroll`, body);
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.json.error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('codepiper terminal info, scroll and search', async () => {
    const info = await harness.run(['terminal', 'info', id, '--json']);
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout).mode).toBe('normal');
    const scrolled = await harness.run(['terminal', 'scroll', id, 'up', '3']);
    expect(scrolled.stdout).toMatch(/copy mode, scrolled up 3 of \d+ rows/);
    expect((await harness.run(['terminal', 'normal', id])).stdout).toMatch(/normal mode/);
    const search = await harness.run(['terminal', 'search', id, 'row-299']);
    expect(search.code, search.stderr).toBe(0);
    expect(search.stdout).toMatch(/^\s*\d+  row-299\n$/);
  });

  it('stores a PNG sent as JSON base64 and types its path, without Enter', async () => {
    // Copy mode would take the typed keys: the upload goes back to the live screen first.
    await api('POST', `/sessions/${id}/terminal/mode`, { mode: 'copy' });
    const stored = await api('POST', `/sessions/${id}/upload-image`, { name: '../../etc/shot.png', dataBase64: PNG.toString('base64') });
    expect(stored.status, JSON.stringify(stored.json)).toBe(200);
    expect(stored.json).toMatchObject({ sessionId: id, bytes: PNG.length, type: 'image/png', originalName: '../../etc/shot.png', typed: true });
    const file: string = stored.json.path;
    expect(path.dirname(file)).toBe(path.join(harness.home, 'sessions', id, 'uploads'));
    expect(path.basename(file)).toMatch(/^image-[0-9TZ]+-[0-9a-f]{8}\.png$/);
    expect(fs.readFileSync(file).equals(PNG)).toBe(true);
    expect(modeOf(file)).toBe(0o600);
    expect(modeOf(path.dirname(file))).toBe(0o700);
    const text = await untilScreen(id, new RegExp(`\\$ ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    // No Enter: bash has not run it (no "Permission denied" or "command not found" under it).
    expect(text.trimEnd().endsWith(file)).toBe(true);
    expect((await api('GET', `/sessions/${id}/terminal/info`)).json.mode).toBe('normal');
    await api('POST', `/sessions/${id}/keys`, { keys: ['ctrl+u'] });
  });

  it('takes multipart/form-data (field image) as well, and only stores with typePath false', async () => {
    const form = multipart([{ name: 'image', filename: 'pic.gif', type: 'image/png', data: GIF }, { name: 'typePath', value: 'false' }]);
    const stored = await postRaw(`/sessions/${id}/upload-image`, form.body, form.type);
    expect(stored.status, JSON.stringify(stored.json)).toBe(200);
    // The declared type (image/png) is not believed either: the bytes say GIF.
    expect(stored.json).toMatchObject({ type: 'image/gif', originalName: 'pic.gif', typed: false, bytes: GIF.length });
    expect(stored.json.path.endsWith('.gif')).toBe(true);
    expect(fs.readFileSync(stored.json.path).equals(GIF)).toBe(true);

    const png = multipart([{ name: 'image', filename: 'a.png', type: 'application/octet-stream', data: PNG }]);
    const typed = await postRaw(`/sessions/${id}/upload-image`, png.body, png.type);
    expect(typed.json).toMatchObject({ type: 'image/png', typed: true });
    await untilScreen(id, new RegExp(path.basename(typed.json.path).replace(/\./g, '\\.')));
    await api('POST', `/sessions/${id}/keys`, { keys: ['ctrl+u'] });

    const noImage = multipart([{ name: 'picture', filename: 'a.png', type: 'image/png', data: PNG }]);
    const missing = await postRaw(`/sessions/${id}/upload-image`, noImage.body, noImage.type);
    expect(missing.status).toBe(400);
    expect(missing.json.error.message).toMatch(/no file part named "image"/);

    const elsewhere = await postRaw(`/sessions/${id}/send`, png.body, png.type);
    expect(elsewhere.status).toBe(415);
    expect(elsewhere.json.error.message).toMatch(/takes a JSON body/);
  });

  it('refuses bytes that are not an image whatever the name says (415), and stores nothing', async () => {
    const before = uploads(id).length;
    const text = Buffer.from('<html>not a picture</html>');
    const json = await api('POST', `/sessions/${id}/upload-image`, { name: 'evil.png', dataBase64: text.toString('base64') });
    expect(json.status).toBe(415);
    expect(json.json.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(json.json.error.message).toMatch(/not a PNG, JPEG, GIF or WebP image.*3c 68 74 6d.*"evil\.png" is not trusted/);
    const form = multipart([{ name: 'image', filename: 'evil.png', type: 'image/png', data: text }]);
    expect((await postRaw(`/sessions/${id}/upload-image`, form.body, form.type)).status).toBe(415);
    expect((await api('POST', `/sessions/${id}/upload-image`, { dataBase64: 'not base64!' })).status).toBe(400);
    expect(uploads(id).length).toBe(before);
  });

  it('refuses an image over 10 MiB with 413, as JSON and as multipart, and a body over the route limit', async () => {
    const before = uploads(id).length;
    const big = Buffer.concat([PNG.subarray(0, 8), Buffer.alloc(11 * 1024 * 1024)]);
    const json = await api('POST', `/sessions/${id}/upload-image`, { name: 'big.png', dataBase64: big.toString('base64') });
    expect(json.status).toBe(413);
    expect(json.json.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(json.json.error.message).toMatch(/the image is \d+ bytes, over the 10485760-byte \(10 MiB\) limit/);
    const form = multipart([{ name: 'image', filename: 'big.png', type: 'image/png', data: big }]);
    const multi = await postRaw(`/sessions/${id}/upload-image`, form.body, form.type);
    expect(multi.status).toBe(413);
    expect(multi.json.error.message).toMatch(/10 MiB/);
    const huge = await postRaw(`/sessions/${id}/upload-image`, Buffer.alloc(17 * 1024 * 1024, 0x41), 'application/json');
    expect(huge.status).toBe(413);
    expect(huge.json.error.message).toMatch(/larger than the 16777216-byte limit of this route/);
    // Other routes keep their 1 MiB limit.
    const send = await postRaw(`/sessions/${id}/send`, Buffer.alloc(2 * 1024 * 1024, 0x41), 'application/json');
    expect(send.status).toBe(413);
    expect(send.json.error.message).toMatch(/1048576-byte limit$/);
    expect(uploads(id).length).toBe(before);
  });

  it('codepiper image stores and types a file', async () => {
    const file = path.join(harness.dir, 'diagram.png');
    fs.writeFileSync(file, PNG);
    const result = await harness.run(['image', id, file, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const stored = JSON.parse(result.stdout);
    expect(stored).toMatchObject({ type: 'image/png', originalName: 'diagram.png', typed: true });
    expect(fs.readFileSync(stored.path).equals(PNG)).toBe(true);
    await untilScreen(id, new RegExp(path.basename(stored.path).replace(/\./g, '\\.')));
    await api('POST', `/sessions/${id}/keys`, { keys: ['ctrl+u'] });
    const notImage = path.join(harness.dir, 'notes.png');
    fs.writeFileSync(notImage, 'plain text');
    const refused = await harness.run(['image', id, notImage]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/not a PNG, JPEG, GIF or WebP image/);
  });

  it('once the session is killed: no terminal to look at, no input to type a path into', async () => {
    expect((await api('POST', `/sessions/${id}/kill`)).status).toBe(200);
    const info = await api('GET', `/sessions/${id}/terminal/info`);
    expect(info.status).toBe(409);
    expect(info.json.error.code).toBe('SESSION_NOT_RUNNING');
    const before = uploads(id).length;
    const typed = await api('POST', `/sessions/${id}/upload-image`, { dataBase64: PNG.toString('base64') });
    expect(typed.status).toBe(409);
    expect(typed.json.error.code).toBe('SESSION_NOT_RUNNING');
    expect(uploads(id).length).toBe(before);
    const stored = await api('POST', `/sessions/${id}/upload-image`, { dataBase64: PNG.toString('base64'), typePath: false });
    expect(stored.json).toMatchObject({ typed: false, type: 'image/png' });
    expect(uploads(id).length).toBe(before + 1);
    const model = await api('PUT', `/sessions/${id}/model`, { model: 'gpt-5' });
    expect(model.status).toBe(409);
  });
});
