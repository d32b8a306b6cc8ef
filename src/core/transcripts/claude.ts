import path from 'node:path';
import { boundText, EMPTY_RESULT, num, parseTime, str, toolRow, type LineResult, type MessageRow, type SessionFacts, type UsageRow } from './records';

/**
 * One line of a Claude Code transcript (reference/agent-formats.md §2). Lenient: unknown record types and fields are
 * ignored, a record without what we need yields nothing. Never throws on a parsed object.
 */
export function parseClaudeRecord(record: Record<string, unknown>): LineResult {
  const type = record.type;
  const ts = parseTime(record.timestamp);
  const message = record.message && typeof record.message === 'object' ? (record.message as Record<string, unknown>) : undefined;

  const facts = recordFacts(record, type, message);
  const usage = ts === null ? null : usageOf(record, message, ts);
  const messages = ts === null || record.isMeta === true ? [] : messagesOf(record, type, message, ts);
  if (!facts && !usage && messages.length === 0) return EMPTY_RESULT;
  return { messages, usage, facts };
}

function recordFacts(record: Record<string, unknown>, type: unknown, message: Record<string, unknown> | undefined): SessionFacts | null {
  if (type === 'custom-title') return { customTitle: str(record.customTitle) ?? str(record.title) };
  if (type === 'summary') return str(record.summary) ? { summary: str(record.summary) } : null;
  if (type === 'ai-title') return str(record.aiTitle) ?? str(record.title) ? { summary: str(record.aiTitle) ?? str(record.title) } : null;
  if (type !== 'user' && type !== 'assistant') return null;
  const facts: SessionFacts = {};
  const sessionId = str(record.sessionId);
  if (sessionId) facts.sessionId = sessionId;
  const cwd = str(record.cwd);
  if (cwd) facts.cwd = cwd;
  const branch = str(record.gitBranch);
  if (branch) facts.gitBranch = branch;
  const model = message ? str(message.model) : undefined;
  if (model && model !== '<synthetic>') facts.model = model;
  return facts;
}

/**
 * Usage as ccusage 20 counts it: any record whose message carries usage with a timestamp, deduplicated on
 * message.id + requestId when both exist. Lines of the "<synthetic>" model with no tokens (API errors) are dropped.
 */
function usageOf(record: Record<string, unknown>, message: Record<string, unknown> | undefined, ts: number): UsageRow | null {
  const usage = message?.usage;
  if (!usage || typeof usage !== 'object') return null;
  const u = usage as Record<string, unknown>;
  const row: UsageRow = {
    key: null,
    ts,
    model: str(message!.model) ?? 'unknown',
    input: num(u.input_tokens),
    output: num(u.output_tokens),
    cacheCreate: num(u.cache_creation_input_tokens),
    cacheRead: num(u.cache_read_input_tokens),
    assumedModel: false,
  };
  if (row.model === '<synthetic>' && row.input + row.output + row.cacheCreate + row.cacheRead === 0) return null;
  const messageId = str(message!.id);
  const requestId = str(record.requestId);
  if (messageId && requestId) row.key = `${messageId}:${requestId}`;
  return row;
}

function messagesOf(record: Record<string, unknown>, type: unknown, message: Record<string, unknown> | undefined, ts: number): MessageRow[] {
  if (!message || (type !== 'user' && type !== 'assistant')) return [];
  const uuid = str(record.uuid) ?? null;
  const sidechain = record.isSidechain === true;
  const content = message.content;
  const rows: MessageRow[] = [];
  const add = (role: MessageRow['role'], kind: MessageRow['kind'], text: string) => {
    if (text.trim()) rows.push({ uuid, ts, role, kind, tool: null, text: boundText(text), input: null, sidechain });
  };
  if (type === 'user') {
    const kind = record.isCompactSummary === true ? 'summary' : 'prompt';
    if (typeof content === 'string') add('user', kind, content);
    else if (Array.isArray(content)) {
      // Tool results are the bulk of a transcript and not conversation: they are not indexed.
      const text = content
        .filter((block) => block && typeof block === 'object' && block.type === 'text' && typeof block.text === 'string')
        .map((block) => block.text as string)
        .join('\n');
      add('user', kind, text);
    }
    return rows;
  }
  if (!Array.isArray(content)) {
    if (typeof content === 'string') add('assistant', 'text', content);
    return rows;
  }
  for (const block of content) {
    if (!block || typeof block !== 'object') continue;
    if (block.type === 'text' && typeof block.text === 'string') add('assistant', 'text', block.text);
    else if (block.type === 'thinking' && typeof block.thinking === 'string') add('assistant', 'thinking', block.thinking);
    else if (block.type === 'tool_use' && typeof block.name === 'string') rows.push(toolRow(block.name, block.input, ts, uuid, sidechain));
  }
  return rows;
}

/**
 * The conversation a Claude transcript file belongs to, from its path alone when the layout says:
 * `<project>/<session>.jsonl`, `<project>/<session>/subagents/agent-<id>.jsonl`. Older subagent files
 * (`<project>/agent-<id>.jsonl`) name their session only in their records: undefined here.
 */
export function claudeSessionFromPath(file: string): string | undefined {
  const base = path.basename(file, '.jsonl');
  const dir = path.dirname(file);
  if (path.basename(dir) === 'subagents') return path.basename(path.dirname(dir));
  if (base.startsWith('agent-')) return undefined;
  return base;
}
