/** What the transcript parsers take out of one line, in a form shared by every provider. */

export type Provider = 'claude-code' | 'codex';

export type MessageRole = 'user' | 'assistant' | 'tool';
/** prompt: what the user typed; text/thinking: the agent's reply; tool_use: a tool call; summary: a compaction summary. */
export type MessageKind = 'prompt' | 'text' | 'thinking' | 'tool_use' | 'summary';

export interface MessageRow {
  uuid: string | null;
  ts: number;
  role: MessageRole;
  kind: MessageKind;
  tool: string | null;
  /** The searchable text: for a tool call its name's arguments as words (string values), not the JSON. */
  text: string;
  /** A tool call's input as JSON (bounded), for display and export. */
  input: string | null;
  sidechain: boolean;
}

export interface UsageRow {
  /** message.id + ':' + requestId; null when either is missing (such lines are not deduplicated). */
  key: string | null;
  ts: number;
  model: string;
  input: number;
  output: number;
  cacheCreate: number;
  cacheRead: number;
  /** Codex logs without a turn_context name no model: gpt-5 is assumed and flagged. */
  assumedModel: boolean;
}

/** Facts about the conversation a line may carry; later lines overwrite earlier ones, except `firstPrompt`. */
export interface SessionFacts {
  sessionId?: string;
  cwd?: string;
  gitBranch?: string;
  model?: string;
  customTitle?: string;
  summary?: string;
}

export interface LineResult {
  messages: MessageRow[];
  usage: UsageRow | null;
  facts: SessionFacts | null;
}

export const EMPTY_RESULT: LineResult = Object.freeze({ messages: [], usage: null, facts: null }) as LineResult;

const MAX_TEXT = 64 * 1024;
const MAX_INPUT_JSON = 16 * 1024;

export function boundText(text: string): string {
  return text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text;
}

/** The string values (and numbers) of a tool input, space-joined: what a user would search a call by. */
export function inputWords(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 8 || out.length > 2000) return out;
  if (typeof value === 'string') out.push(value);
  else if (typeof value === 'number' || typeof value === 'boolean') out.push(String(value));
  else if (Array.isArray(value)) for (const item of value) inputWords(item, out, depth + 1);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) inputWords(item, out, depth + 1);
  return out;
}

export function inputJson(value: unknown): string | null {
  if (value === undefined) return null;
  const json = typeof value === 'string' ? value : JSON.stringify(value);
  return json.length > MAX_INPUT_JSON ? `${json.slice(0, MAX_INPUT_JSON)}…` : json;
}

export function toolRow(name: string, input: unknown, ts: number, uuid: string | null, sidechain: boolean): MessageRow {
  return {
    uuid,
    ts,
    role: 'tool',
    kind: 'tool_use',
    tool: name,
    text: boundText(inputWords(input).join(' ')),
    input: inputJson(input),
    sidechain,
  };
}

export const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0);
export const str = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 ? value : undefined);

export function parseTime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}
