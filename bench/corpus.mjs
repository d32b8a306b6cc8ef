#!/usr/bin/env node
// A deterministic corpus of agent transcripts for the analytics and search benchmarks and for the indexer's tests.
// It writes what Claude Code and Codex write (../shared/reference/agent-formats.md §2 and §3), with the parts that make
// token totals go wrong when read naively:
//   - one API response written as one line per content block, sharing message.id and requestId, the early lines with
//     a low output_tokens (keep the larger: the last);
//   - resumed sessions whose new file starts with copies of the earlier conversation (same ids, same timestamps);
//   - subagent files (new layout <session>/subagents/agent-<id>.jsonl and the older agent-<id>.jsonl) with sidechains;
//   - compaction records, summaries, custom titles, file-history snapshots, API errors on the "<synthetic>" model;
//   - several models, one the price table does not know; responses of older versions without a requestId;
//   - a partial last line in some files (a write in progress), a rare corrupt line, unicode in prompts and paths;
//   - Codex rollouts with turn_context model switches, token_count events (a null info first, repeated totals that add
//     nothing), function calls, and an old rollout without turn_context.
// Beside the files it returns (and with --manifest writes) what the corpus should add up to, computed from the
// generator's own model of the conversations, not by reading the files back: tokens per UTC day and per model, per
// provider, and the number of lines and files holding each search word in message text.
//
// Usage: node bench/corpus.mjs --out DIR [--size 500MB] [--seed 1] [--manifest FILE]
//   DIR/claude/projects/...   (point CLAUDE_CONFIG_DIR at DIR/claude)
//   DIR/codex/sessions/...    (point CODEX_HOME at DIR/codex)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** mulberry32: small, fast and the same on every machine. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
    hex: (n) => {
      let s = '';
      for (let i = 0; i < n; i++) s += Math.floor(next() * 16).toString(16);
      return s;
    },
  };
}

const uuid = (r) => `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-a${r.hex(3)}-${r.hex(12)}`;

// Prose goes into prompts, replies and tool inputs (what search indexes); code goes into tool results only. The search
// words below occur only in prose, always between spaces, so a fixed-string word grep over the raw files finds exactly
// the lines whose indexed text holds them.
export const SEARCH_WORDS = ['kubernetes', 'memoize', 'tokenizer', 'flakiness', 'backpressure', 'idempotent', 'zeppelin', 'quasar'];
const SEARCH_WORD_RATE = [0.02, 0.01, 0.005, 0.003, 0.002, 0.001, 0.0005, 0.0002];
const PROSE = (
  'the a to of and in that it is for this we should with on file function test fix error update build change add ' +
  'check run config value type return call module import export state handle case path data user request response ' +
  'server client cache query index schema migration parse render component hook event stream buffer retry timeout ' +
  'refactor rename extract inline split merge review commit branch rebase deploy release version lint format'
).split(' ');
const UNICODE = ['café', 'naïve', 'Größe', '日本語のテキスト', '修复这个错误', 'مرحبا', 'Ελληνικά', '🚀', '✅', '🐛', 'ñandú', 'e\u0301te\u0301'];
const CODE = (
  'const let var fn => { } ( ) ; if else for while return await async new class extends interface implements ' +
  'Promise<void> Array<string> Record<string, number> export default from require("node:fs") console.log(x) ' +
  'throw new Error("boom") try catch finally null undefined true false 0 1 42 0xff "str" `tpl ${a}` // comment'
).split(' ');
const TOOLS = ['Bash', 'Read', 'Edit', 'Write', 'Grep', 'Glob', 'TodoWrite', 'WebFetch', 'mcp__github__create_issue', 'Task'];
const CLAUDE_MODELS = [
  ['claude-sonnet-4-5-20250929', 0.45],
  ['claude-opus-4-5-20251101', 0.2],
  ['claude-opus-4-1-20250805', 0.1],
  ['claude-haiku-4-5-20251001', 0.15],
  ['claude-sonnet-4-20250514', 0.07],
  ['claude-nova-7-preview', 0.03], // not in the price table: must be reported unpriced
];
const CODEX_MODELS = ['gpt-5-codex', 'gpt-5.1-codex', 'gpt-5.2-codex', 'gpt-5-mini'];
const DAY = 86_400_000;

function weighted(r, pairs) {
  let x = r.next();
  for (const [value, weight] of pairs) {
    if ((x -= weight) < 0) return value;
  }
  return pairs[pairs.length - 1][0];
}

/** Words of prose, with the search words at their rates and a little unicode; `found` collects the words used. */
function prose(r, words, found) {
  const out = [];
  for (let i = 0; i < words; i++) {
    const x = r.next();
    let acc = 0;
    let word;
    for (let w = 0; w < SEARCH_WORDS.length; w++) {
      acc += SEARCH_WORD_RATE[w];
      if (x < acc) {
        word = SEARCH_WORDS[w];
        found.add(word);
        break;
      }
    }
    if (!word) word = r.chance(0.01) ? r.pick(UNICODE) : r.pick(PROSE);
    out.push(word);
  }
  return out.join(' ');
}

function code(r, lines) {
  const out = [];
  for (let i = 0; i < lines; i++) {
    const n = r.int(3, 14);
    const parts = [];
    for (let j = 0; j < n; j++) parts.push(r.pick(CODE));
    out.push('  '.repeat(r.int(0, 3)) + parts.join(' '));
  }
  return out.join('\n');
}

const iso = (ms) => new Date(ms).toISOString();
const utcDay = (ms) => iso(ms).slice(0, 10);
const encodeCwd = (cwd) => cwd.replace(/[^A-Za-z0-9]/g, '-');

/** The expected totals, kept the way the reports are keyed. */
class Expected {
  constructor() {
    this.byDay = {};
    this.byModel = {};
    this.byDayModel = {};
    this.entries = 0;
  }
  add(ms, model, usage) {
    this.entries++;
    const day = utcDay(ms);
    for (const [table, key] of [
      [this.byDay, day],
      [this.byModel, model],
      [(this.byDayModel[day] ??= {}), model],
    ]) {
      const t = (table[key] ??= { inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0, cacheReadTokens: 0, totalTokens: 0 });
      t.inputTokens += usage.input;
      t.outputTokens += usage.output;
      t.cacheCreationTokens += usage.cacheCreate;
      t.cacheReadTokens += usage.cacheRead;
      t.totalTokens += usage.input + usage.output + usage.cacheCreate + usage.cacheRead;
    }
  }
}

/** Lines holding each search word (in indexed text), and the files they are in. */
class WordIndex {
  constructor() {
    this.lines = Object.fromEntries(SEARCH_WORDS.map((w) => [w, 0]));
    this.files = Object.fromEntries(SEARCH_WORDS.map((w) => [w, new Set()]));
  }
  /** One row of the index (a prompt, a reply block, a tool call) holding the words in `found`. */
  note(file, found) {
    for (const word of found) {
      this.lines[word]++;
      this.files[word].add(file);
    }
    found.clear();
  }
}

class Writer {
  constructor(file) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.file = file;
    this.fd = fs.openSync(file, 'w');
    this.parts = [];
    this.size = 0;
    this.bytes = 0;
  }
  line(record) {
    this.raw(JSON.stringify(record) + '\n');
  }
  raw(text) {
    this.parts.push(text);
    this.size += text.length;
    if (this.size > 1 << 20) this.flush();
  }
  flush() {
    if (!this.parts.length) return;
    const buf = Buffer.from(this.parts.join(''), 'utf8');
    fs.writeSync(this.fd, buf);
    this.bytes += buf.length;
    this.parts = [];
    this.size = 0;
  }
  close() {
    this.flush();
    fs.closeSync(this.fd);
    return this.bytes;
  }
}

function claudeSession(ctx, { project, sessionId, start, copyFrom, turns, file, sidechainOf, agentId }) {
  const { r, words, expected } = ctx;
  const w = new Writer(file);
  const found = new Set();
  const history = []; // lines of this conversation, for a later resume to copy
  const baseModel = weighted(r, CLAUDE_MODELS);
  const version = r.pick(['2.0.14', '2.0.31', '2.1.3']);
  const gitBranch = r.pick(['main', 'feature/ünïcode', 'fix-123']);
  let t = start;
  let parentUuid = null;
  const common = () => ({
    parentUuid,
    isSidechain: Boolean(sidechainOf),
    userType: 'external',
    cwd: project.cwd,
    sessionId: sidechainOf ?? sessionId,
    version,
    gitBranch,
    ...(agentId ? { agentId } : {}),
  });
  // `rows`: the word sets of the index rows the line makes (one per prompt, reply block or tool call).
  const emit = (record, rows = []) => {
    w.line(record);
    history.push(record);
    for (const set of rows) words.note(file, set);
    found.clear();
    parentUuid = record.uuid ?? parentUuid;
  };
  const take = () => {
    const set = new Set(found);
    found.clear();
    return set;
  };

  if (copyFrom) {
    // A resumed session: the new file starts with the earlier conversation, original ids and timestamps kept.
    for (const record of copyFrom.history) {
      const copy = { ...record, sessionId };
      w.line(copy);
      // A response without a requestId has no deduplication key, so its copy counts again (as ccusage counts it).
      const usage = record.message?.usage;
      if (record.type === 'assistant' && usage && !record.requestId && record.message.model !== '<synthetic>') {
        ctx.expected.add(Date.parse(record.timestamp), record.message.model, { input: usage.input_tokens, output: usage.output_tokens, cacheCreate: usage.cache_creation_input_tokens, cacheRead: usage.cache_read_input_tokens });
      }
      history.push(copy);
      parentUuid = record.uuid ?? parentUuid;
    }
    for (const [word, files] of Object.entries(words.files)) if (files.has(copyFrom.file)) files.add(file);
    for (const word of SEARCH_WORDS) words.lines[word] += copyFrom.wordLines[word];
    t = Math.max(t, copyFrom.end + 60_000);
  } else if (!sidechainOf && r.chance(0.3)) {
    w.line({ type: 'summary', summary: `Summary: ${r.pick(PROSE)} ${r.pick(PROSE)} ${r.pick(UNICODE)}`, leafUuid: uuid(r) });
  }
  const wordLinesBefore = { ...words.lines };

  for (let turn = 0; turn < turns; turn++) {
    t += r.int(5, 600) * 1000;
    if (!sidechainOf && r.chance(0.1)) {
      emit({ type: 'file-history-snapshot', messageId: uuid(r), snapshot: { messageId: uuid(r), trackedFileBackups: {}, timestamp: iso(t) }, isSnapshotUpdate: false });
    }
    const promptText = prose(r, r.int(5, 60), found);
    emit({ ...common(), type: 'user', message: { role: 'user', content: r.chance(0.3) ? [{ type: 'text', text: promptText }] : promptText }, uuid: uuid(r), timestamp: iso(t) }, [take()]);

    const responses = r.int(1, 5);
    for (let n = 0; n < responses; n++) {
      t += r.int(2, 40) * 1000;
      const model = r.chance(0.1) ? weighted(r, CLAUDE_MODELS) : baseModel;
      const messageId = `msg_01${r.hex(22)}`;
      const oldVersion = r.chance(0.04); // older Claude Code wrote no requestId
      const requestId = oldVersion ? undefined : `req_011${r.hex(21)}`;
      const usage = {
        input: r.int(1, 30) * (r.chance(0.1) ? 1000 : 1),
        cacheCreate: r.chance(0.5) ? r.int(0, 40_000) : 0,
        cacheRead: r.int(0, 180_000),
        output: r.int(20, 4_000),
      };
      const blocks = [];
      const blockWords = [];
      if (r.chance(0.4)) {
        blocks.push({ type: 'thinking', thinking: prose(r, r.int(10, 80), found), signature: r.hex(64) });
        blockWords.push(take());
      }
      if (r.chance(0.85)) {
        blocks.push({ type: 'text', text: prose(r, r.int(10, 200), found) });
        blockWords.push(take());
      }
      let tool;
      if (r.chance(0.6) || blocks.length === 0) {
        const name = r.pick(TOOLS);
        const input = name === 'Bash' ? { command: `npm test -- ${prose(r, 3, found)}`, description: prose(r, 5, found) } : { file_path: `${project.cwd}/src/${r.pick(PROSE)}.ts`, pattern: prose(r, 2, found) };
        tool = { type: 'tool_use', id: `toolu_01${r.hex(22)}`, name, input };
        blocks.push(tool);
        blockWords.push(take());
      }
      // Older versions wrote a response once; current ones write a line per block, early lines with a low count.
      const written = oldVersion ? [blocks] : blocks.map((b) => [b]);
      const writtenWords = oldVersion ? [blockWords] : blockWords.map((set) => [set]);
      written.forEach((content, i) => {
        const last = i === written.length - 1;
        const lineUsage = {
          input_tokens: usage.input,
          cache_creation_input_tokens: usage.cacheCreate,
          cache_read_input_tokens: usage.cacheRead,
          cache_creation: { ephemeral_5m_input_tokens: usage.cacheCreate, ephemeral_1h_input_tokens: 0 },
          output_tokens: last ? usage.output : r.int(1, 12),
          service_tier: 'standard',
        };
        const record = {
          ...common(),
          message: { id: messageId, type: 'message', role: 'assistant', model, content, stop_reason: last ? (tool ? 'tool_use' : 'end_turn') : null, stop_sequence: null, usage: lineUsage },
          ...(requestId ? { requestId } : {}),
          type: 'assistant',
          uuid: uuid(r),
          timestamp: iso(t + i * 150),
        };
        emit(record, writtenWords[i]);
      });
      expected.add(t + (written.length - 1) * 150, model, usage);

      if (tool) {
        t += r.int(1, 20) * 1000;
        const output = code(r, r.int(5, 120));
        emit(
          {
            ...common(),
            type: 'user',
            message: { role: 'user', content: [{ tool_use_id: tool.id, type: 'tool_result', content: output, is_error: r.chance(0.05) }] },
            uuid: uuid(r),
            timestamp: iso(t),
            toolUseResult: { stdout: output.slice(0, 2000), stderr: '', interrupted: false, isImage: false },
          },
        );
      }
    }
    if (r.chance(0.01)) {
      // An API error: recorded on the synthetic model with no tokens.
      emit({ ...common(), type: 'assistant', uuid: uuid(r), timestamp: iso(t + 1000), isApiErrorMessage: true, message: { id: uuid(r), model: '<synthetic>', role: 'assistant', type: 'message', content: [{ type: 'text', text: 'API Error: Request timed out.' }], usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } } });
    }
    if (!sidechainOf && turn > 0 && turn % 40 === 0) {
      const boundary = uuid(r);
      emit({ ...common(), parentUuid: null, logicalParentUuid: parentUuid, type: 'system', subtype: 'compact_boundary', content: 'Conversation compacted', isMeta: false, uuid: boundary, timestamp: iso(t + 2000), level: 'info', compactMetadata: { trigger: 'auto', preTokens: r.int(150_000, 190_000) } });
      emit({ ...common(), type: 'user', isCompactSummary: true, isVisibleInTranscriptOnly: true, message: { role: 'user', content: `This session is being continued from a previous conversation. ${prose(r, 80, found)}` }, uuid: uuid(r), timestamp: iso(t + 2100) }, [take()]);
    }
    if (r.chance(0.0005)) w.raw('{"type":"assistant","message":{"id":"msg_corrupt" <<not json>>\n');
  }
  if (!sidechainOf && r.chance(0.1)) w.line({ type: 'custom-title', customTitle: `Work on ${r.pick(PROSE)} ${r.pick(UNICODE)}`, sessionId });
  if (r.chance(0.03)) {
    // A write in progress: half a line, no newline. Its tokens are not in the expected totals.
    const half = JSON.stringify({ ...common(), type: 'assistant', message: { id: `msg_01${r.hex(22)}`, model: baseModel, usage: { input_tokens: 5, output_tokens: 999 } }, requestId: 'req_partial' });
    w.raw(half.slice(0, Math.floor(half.length / 2)));
  }
  const bytes = w.close();
  const wordLines = Object.fromEntries(SEARCH_WORDS.map((word) => [word, words.lines[word] - wordLinesBefore[word] + (copyFrom ? copyFrom.wordLines[word] : 0)]));
  return { bytes, history, end: t, file, wordLines };
}

function codexRollout(ctx, { cwd, start, turns, file, withContext }) {
  const { r, words, codexExpected } = ctx;
  const w = new Writer(file);
  const found = new Set();
  const id = uuid(r);
  let t = start;
  let model = withContext ? r.pick(CODEX_MODELS) : 'gpt-5';
  const total = { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, reasoning_output_tokens: 0, total_tokens: 0 };
  const line = (type, payload, indexed = false) => {
    w.line({ timestamp: iso(t), type, payload });
    if (indexed) words.note(file, found);
    else found.clear();
  };
  line('session_meta', { id, timestamp: iso(t), cwd, originator: 'codex_cli_rs', cli_version: '0.46.0', instructions: null, model_provider: 'openai', git: { commit_hash: r.hex(40), branch: 'main', repository_url: 'git@example.com:team/app.git' } });
  for (let turn = 0; turn < turns; turn++) {
    t += r.int(5, 300) * 1000;
    if (withContext) {
      if (turn > 0 && r.chance(0.1)) model = r.pick(CODEX_MODELS);
      line('turn_context', { cwd, approval_policy: 'on-request', sandbox_policy: { mode: 'workspace-write' }, model, effort: 'medium', summary: 'auto' });
    }
    const prompt = prose(r, r.int(5, 50), found);
    line('response_item', { type: 'message', role: 'user', content: [{ type: 'input_text', text: prompt }] }, true);
    line('event_msg', { type: 'user_message', message: prompt, images: [] });
    line('event_msg', { type: 'token_count', info: turn === 0 ? null : { total_token_usage: { ...total }, last_token_usage: { ...total }, model_context_window: 272000 }, rate_limits: null });
    const steps = r.int(1, 4);
    for (let s = 0; s < steps; s++) {
      t += r.int(2, 30) * 1000;
      line('response_item', { type: 'reasoning', summary: [{ type: 'summary_text', text: `**${prose(r, 4, found)}**` }], content: null, encrypted_content: r.hex(200) }, true);
      const callId = `call_${r.hex(24)}`;
      line('response_item', { type: 'function_call', name: 'shell', arguments: JSON.stringify({ command: ['bash', '-lc', `rg ${prose(r, 2, found)}`], workdir: cwd }), call_id: callId }, true);
      t += r.int(1, 10) * 1000;
      line('response_item', { type: 'function_call_output', call_id: callId, output: JSON.stringify({ output: code(r, r.int(3, 60)), metadata: { exit_code: 0, duration_seconds: 0.4 } }) });
      const input = r.int(2_000, 120_000);
      const last = { input_tokens: input, cached_input_tokens: Math.floor(input * r.next() * 0.9), output_tokens: r.int(10, 3_000), reasoning_output_tokens: 0, total_tokens: 0 };
      last.reasoning_output_tokens = Math.floor(last.output_tokens * r.next() * 0.5);
      last.total_tokens = last.input_tokens + last.output_tokens;
      for (const k of Object.keys(total)) total[k] += last[k];
      line('event_msg', { type: 'token_count', info: { total_token_usage: { ...total }, last_token_usage: last, model_context_window: 272000 }, rate_limits: { primary: { used_percent: 12.5, window_minutes: 300 } } });
      codexExpected.add(t, model, { input: last.input_tokens - last.cached_input_tokens, cacheRead: last.cached_input_tokens, cacheCreate: 0, output: last.output_tokens });
      if (r.chance(0.3)) {
        // The same totals again (a repeated event): adds nothing.
        line('event_msg', { type: 'token_count', info: { total_token_usage: { ...total }, last_token_usage: last, model_context_window: 272000 }, rate_limits: null });
      }
    }
    const reply = prose(r, r.int(10, 150), found);
    line('response_item', { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: reply }] }, true);
    line('event_msg', { type: 'agent_message', message: reply });
  }
  return w.close();
}

/**
 * Writes the corpus under `out` and returns its manifest. `targetBytes` is approximate (the last session finishes).
 * Sessions spread over the `days` days before `now`, with 2 to `maxTurns` turns each (small values give a small corpus
 * many sessions).
 */
export function generateCorpus({ out, seed = 1, targetBytes = 5_000_000, days = 30, now = Date.UTC(2026, 10, 20, 12), maxTurns = 90 }) {
  const r = rng(seed);
  const ctx = { r, words: new WordIndex(), expected: new Expected(), codexExpected: new Expected() };
  const claudeRoot = path.join(out, 'claude');
  const codexRoot = path.join(out, 'codex');
  const projects = Array.from({ length: 12 }, (_, i) => {
    const cwd = i % 4 === 3 ? `/home/dev/проект café ${i}` : `/home/dev/app-${i}`;
    return { cwd, dir: path.join(claudeRoot, 'projects', encodeCwd(cwd)) };
  });
  const stats = { files: 0, bytes: 0, claudeSessions: 0, subagentFiles: 0, resumed: 0, codexRollouts: 0 };
  const finished = [];
  while (stats.bytes < targetBytes) {
    const start = now - r.int(0, days * DAY);
    if (r.chance(0.2)) {
      const withContext = !r.chance(0.05);
      const date = new Date(start);
      const stamp = iso(start).slice(0, 19).replace(/:/g, '-');
      const file = path.join(codexRoot, 'sessions', String(date.getUTCFullYear()), String(date.getUTCMonth() + 1).padStart(2, '0'), String(date.getUTCDate()).padStart(2, '0'), `rollout-${stamp}-${uuid(r)}.jsonl`);
      stats.bytes += codexRollout(ctx, { cwd: r.pick(projects).cwd, start, turns: r.int(2, 30), file, withContext });
      stats.files++;
      stats.codexRollouts++;
      continue;
    }
    const project = r.pick(projects);
    const sessionId = uuid(r);
    const copyFrom = finished.length && r.chance(0.08) ? r.pick(finished) : undefined;
    const turns = r.int(2, maxTurns);
    const session = claudeSession(ctx, { project, sessionId, start, copyFrom, turns, file: path.join(copyFrom ? path.dirname(copyFrom.file) : project.dir, `${sessionId}.jsonl`) });
    if (copyFrom) stats.resumed++;
    stats.bytes += session.bytes;
    stats.files++;
    stats.claudeSessions++;
    finished.push(session);
    if (finished.length > 50) finished.shift();
    if (r.chance(0.25)) {
      const agentId = r.hex(8);
      const newLayout = r.chance(0.7);
      const file = newLayout ? path.join(path.dirname(session.file), sessionId, 'subagents', `agent-${agentId}.jsonl`) : path.join(path.dirname(session.file), `agent-${agentId}.jsonl`);
      const sub = claudeSession(ctx, { project, sessionId, start: start + 30_000, turns: r.int(1, 8), file, sidechainOf: sessionId, agentId });
      stats.bytes += sub.bytes;
      stats.files++;
      stats.subagentFiles++;
    }
  }
  const files = (set) => [...set].map((f) => path.relative(out, f)).sort();
  return {
    seed,
    ...stats,
    claudeRoot,
    codexRoot,
    claude: { entries: ctx.expected.entries, byDay: ctx.expected.byDay, byModel: ctx.expected.byModel, byDayModel: ctx.expected.byDayModel },
    codex: { entries: ctx.codexExpected.entries, byDay: ctx.codexExpected.byDay, byModel: ctx.codexExpected.byModel, byDayModel: ctx.codexExpected.byDayModel },
    words: Object.fromEntries(SEARCH_WORDS.map((word) => [word, { lines: ctx.words.lines[word], files: files(ctx.words.files[word]) }])),
  };
}

function parseSize(text) {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(String(text).trim());
  if (!m) throw new Error(`--size: "${text}" is not a size such as 500MB`);
  return Math.round(Number(m[1]) * { b: 1, kb: 1e3, mb: 1e6, gb: 1e9 }[(m[2] ?? 'b').toLowerCase()]);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : fallback;
  };
  const out = arg('--out');
  if (!out) {
    console.error('usage: node bench/corpus.mjs --out DIR [--size 500MB] [--seed 1] [--manifest FILE]');
    process.exit(2);
  }
  const started = Date.now();
  const manifest = generateCorpus({ out, seed: Number(arg('--seed', '1')), targetBytes: parseSize(arg('--size', '50MB')) });
  const manifestFile = arg('--manifest');
  if (manifestFile) fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 1));
  console.log(`corpus: ${manifest.files} files, ${(manifest.bytes / 1e6).toFixed(1)} MB (${manifest.claudeSessions} Claude sessions, ${manifest.subagentFiles} subagent files, ${manifest.resumed} resumed, ${manifest.codexRollouts} Codex rollouts) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
