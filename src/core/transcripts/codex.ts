import { boundText, EMPTY_RESULT, num, parseTime, str, toolRow, type LineResult, type MessageRow, type SessionFacts } from './records';

/** What a Codex rollout parser carries from one line to the next, saved with the file for incremental reads. */
export interface CodexState {
  model: string | null;
  /** The last total_token_usage seen: a token_count repeating it adds nothing. */
  totals: { input: number; cached: number; output: number } | null;
}

export const initialCodexState = (): CodexState => ({ model: null, totals: null });

/** Old rollouts without turn_context name no model; reported as this and flagged. */
export const CODEX_ASSUMED_MODEL = 'gpt-5';

/** Injected context, not typed by the user: not a prompt. */
const INJECTED = /^\s*<(environment_context|user_instructions|INSTRUCTIONS|user_shell_command)\b/;

/**
 * One line of a Codex rollout (reference/agent-formats.md §3). `state` is updated in place. The user's and agent's
 * words are taken from response_item messages only (event_msg user_message / agent_message repeat them).
 */
export function parseCodexRecord(record: Record<string, unknown>, state: CodexState): LineResult {
  const payload = record.payload && typeof record.payload === 'object' ? (record.payload as Record<string, unknown>) : undefined;
  if (!payload) return EMPTY_RESULT;
  const ts = parseTime(record.timestamp);
  switch (record.type) {
    case 'session_meta': {
      const facts: SessionFacts = {};
      if (str(payload.id)) facts.sessionId = str(payload.id);
      if (str(payload.cwd)) facts.cwd = str(payload.cwd);
      const git = payload.git as Record<string, unknown> | undefined;
      if (git && str(git.branch)) facts.gitBranch = str(git.branch);
      return { messages: [], usage: null, facts };
    }
    case 'turn_context': {
      const model = str(payload.model);
      if (model) state.model = model;
      return { messages: [], usage: null, facts: { ...(model ? { model } : {}), ...(str(payload.cwd) ? { cwd: str(payload.cwd) } : {}) } };
    }
    case 'response_item':
      return ts === null ? EMPTY_RESULT : { messages: responseItem(payload, ts), usage: null, facts: null };
    case 'event_msg':
      return payload.type === 'token_count' && ts !== null ? tokenCount(payload, ts, state) : EMPTY_RESULT;
    default:
      return EMPTY_RESULT;
  }
}

function responseItem(payload: Record<string, unknown>, ts: number): MessageRow[] {
  const row = (role: MessageRow['role'], kind: MessageRow['kind'], text: string): MessageRow[] =>
    text.trim() ? [{ uuid: null, ts, role, kind, tool: null, text: boundText(text), input: null, sidechain: false }] : [];
  switch (payload.type) {
    case 'message': {
      const text = contentText(payload.content);
      if (payload.role === 'user') return INJECTED.test(text) ? [] : row('user', 'prompt', text);
      if (payload.role === 'assistant') return row('assistant', 'text', text);
      return [];
    }
    case 'reasoning': {
      const summary = Array.isArray(payload.summary) ? payload.summary.map((part) => (part && typeof part.text === 'string' ? part.text : '')).join('\n') : '';
      return row('assistant', 'thinking', summary);
    }
    case 'function_call':
    case 'custom_tool_call': {
      const name = str(payload.name) ?? 'function';
      const raw = payload.type === 'function_call' ? payload.arguments : payload.input;
      let input: unknown = raw;
      if (typeof raw === 'string') {
        try {
          input = JSON.parse(raw);
        } catch {
          input = raw;
        }
      }
      return [toolRow(name, input, ts, null, false)];
    }
    case 'local_shell_call':
      return [toolRow('local_shell', (payload.action as Record<string, unknown> | undefined) ?? {}, ts, null, false)];
    default:
      return [];
  }
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part) => (part && typeof part.text === 'string' ? part.text : '')).filter(Boolean).join('\n');
}

/**
 * A token_count event: the delta of total_token_usage since the previous event (zero deltas, repeated events, are
 * skipped); last_token_usage when there is no earlier total. Input includes cached input, output includes reasoning.
 */
function tokenCount(payload: Record<string, unknown>, ts: number, state: CodexState): LineResult {
  const info = payload.info as Record<string, unknown> | null | undefined;
  if (!info || typeof info !== 'object') return EMPTY_RESULT;
  const total = usageTriple(info.total_token_usage);
  const last = usageTriple(info.last_token_usage);
  let delta: { input: number; cached: number; output: number } | null;
  if (total && state.totals) {
    delta = { input: total.input - state.totals.input, cached: total.cached - state.totals.cached, output: total.output - state.totals.output };
    if (delta.input < 0 || delta.cached < 0 || delta.output < 0) delta = last; // the counter was reset
  } else {
    delta = last ?? total;
  }
  if (total) state.totals = total;
  if (!delta || delta.input + delta.cached + delta.output === 0) return EMPTY_RESULT;
  const cached = Math.min(delta.cached, delta.input);
  return {
    messages: [],
    facts: null,
    usage: {
      key: null,
      ts,
      model: state.model ?? CODEX_ASSUMED_MODEL,
      assumedModel: state.model === null,
      input: delta.input - cached,
      cacheRead: cached,
      cacheCreate: 0,
      output: delta.output,
    },
  };
}

function usageTriple(value: unknown): { input: number; cached: number; output: number } | null {
  if (!value || typeof value !== 'object') return null;
  const u = value as Record<string, unknown>;
  return { input: num(u.input_tokens), cached: num(u.cached_input_tokens), output: num(u.output_tokens) };
}
