import { z } from 'zod';
import { PROVIDER_IDS } from '../providers';
import { defineRoute } from './route';

/**
 * Per-session controls: the agent's model, the terminal's view (copy mode, scrolling, a search of the scrollback),
 * and images handed to the agent. Everything that touches a session's window goes through the runner.
 */

const idParam = z.strictObject({ id: z.string().min(1) });

/** Longest wait for an agent to confirm a model switch; the client's own request deadline is 30 s. */
export const MAX_MODEL_SWITCH_WAIT_MS = 20_000;

/**
 * A model name as the agents take one after `/model`: letters, digits and `. _ - : / @ [ ]` (claude-opus-4-1, opus,
 * gpt-5.1-codex, a provider/model pair, claude-sonnet-4-5[1m]). No spaces, newlines or control characters: it is
 * typed into a terminal, where those would be keys.
 */
export const modelName = z
  .string()
  .min(1, 'a model name is not empty')
  .max(100, 'a model name is at most 100 characters')
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/@[\]-]*$/, 'a model name is letters, digits and . _ - : / @ [ ], starting with a letter or digit (no spaces or control characters)');

const modelSource = z
  .enum(['switch', 'transcript', 'screen', 'args'])
  .describe('where the model was read: a switch CodePiper confirmed, the agent\'s transcript, its screen, or its launch arguments');

export const sessionModelSchema = z.strictObject({
  sessionId: z.string(),
  provider: z.enum(PROVIDER_IDS),
  supportsModelSwitch: z.boolean(),
  model: z.string().nullable().describe('the model in use as last seen; null when nothing tells'),
  source: modelSource.nullable(),
  seenAt: z.string().nullable().describe('when that evidence was written, when known'),
});

export const modelSwitchSchema = z.strictObject({
  sessionId: z.string(),
  provider: z.enum(PROVIDER_IDS),
  requested: z.string(),
  confirmed: z.boolean().describe('whether the agent said it switched within the wait; false: it was typed but nothing confirmed it'),
  model: z.string().nullable().describe('the model the agent confirmed (may be the full name of an alias); null when unconfirmed'),
  evidence: z
    .strictObject({ source: z.enum(['screen', 'transcript']), text: z.string() })
    .nullable()
    .describe('the line that confirmed it'),
  waitedMs: z.number().int(),
  message: z.string(),
});

export const TERMINAL_MODES = ['normal', 'copy'] as const;

export const terminalInfoSchema = z.strictObject({
  sessionId: z.string(),
  mode: z.enum(TERMINAL_MODES).describe('copy: the view is frozen in tmux copy mode (scrolled or selecting); normal: the live screen'),
  scrollPosition: z.number().int().describe('lines scrolled up from the bottom in copy mode; 0 on the live screen'),
  historySize: z.number().int().describe('lines of scrollback above the screen'),
  historyLimit: z.number().int(),
  cols: z.number().int(),
  rows: z.number().int(),
});

/** Most lines one scroll moves (the history limit of CodePiper's tmux server). */
export const MAX_SCROLL_LINES = 50_000;

/** Longest search query, and longest line text a match carries back. */
export const MAX_SEARCH_QUERY = 200;
export const MAX_MATCH_TEXT = 500;

export const terminalSearchInput = idParam.extend({
  query: z.string().min(1).max(MAX_SEARCH_QUERY).refine((value) => !/[\0\n\r]/.test(value), 'the query is one line (no newline or NUL)'),
  regex: z.boolean().default(false).describe('the query is a JavaScript regular expression'),
  caseSensitive: z.boolean().default(false),
  limit: z.number().int().min(1).max(1000).default(100).describe('most matches returned (the count goes on)'),
});

export const terminalSearchSchema = z.strictObject({
  sessionId: z.string(),
  query: z.string(),
  historySize: z.number().int(),
  scannedLines: z.number().int().describe('rows searched: the whole scrollback and the screen, up to the history limit'),
  total: z.number().int().describe('matching rows found'),
  truncated: z.boolean().describe('more rows matched than limit, or the regular expression ran out of time'),
  matches: z.array(
    z.strictObject({
      line: z.number().int().describe('1 is the oldest row of the scrollback; historySize + 1 the top row of the screen'),
      offset: z.number().int().describe("tmux's row number: 0 the screen's top row, negative in the scrollback"),
      column: z.number().int().describe('where the first match on the row starts (0-based, in characters)'),
      text: z.string().describe(`the row, cut to ${MAX_MATCH_TEXT} characters`),
    }),
  ),
});

/** Largest image accepted. */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
/**
 * The upload route's body limit: the image as base64 in JSON is 4/3 of its size, so a body past this holds an image
 * over the limit whatever its form; under it, the image itself is measured (and refused with its own size).
 */
export const MAX_IMAGE_BODY_BYTES = 16 * 1024 * 1024;
export const IMAGE_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

export const uploadImageSchema = z.strictObject({
  sessionId: z.string(),
  path: z.string().describe('absolute path of the stored file (a name CodePiper chose, in the session\'s upload folder)'),
  bytes: z.number().int(),
  type: z.enum(IMAGE_TYPES).describe('from the bytes themselves, never from the name'),
  originalName: z.string().nullable().describe('the name the client gave, kept for reference only'),
  typed: z.boolean().describe("whether the path was typed into the agent's input (without Enter)"),
});

export const controlRoutes = [
  defineRoute({
    name: 'sessions.model',
    method: 'GET',
    path: '/sessions/:id/model',
    summary: "The session's model as last seen: a confirmed switch, the agent's transcript or screen, else its launch arguments.",
    access: 'read',
    input: idParam,
    output: sessionModelSchema,
  }),
  defineRoute({
    name: 'sessions.setModel',
    method: 'PUT',
    path: '/sessions/:id/model',
    summary:
      "Switches an idle session's model with the agent's own /model command, then waits (timeoutMs) for the agent to confirm it on " +
      'its screen or in its transcript; confirmed says whether it did. 409 SESSION_BUSY unless it is idle (working, or showing a question).',
    access: 'write',
    input: idParam.extend({
      model: modelName,
      timeoutMs: z.number().int().min(500).max(MAX_MODEL_SWITCH_WAIT_MS).default(8000).describe('how long to wait for the confirmation'),
    }),
    output: modelSwitchSchema,
  }),
  defineRoute({
    name: 'sessions.terminalInfo',
    method: 'GET',
    path: '/sessions/:id/terminal/info',
    summary: "The session's terminal as tmux sees it: normal or copy mode, scroll position, scrollback size, size.",
    access: 'read',
    input: idParam,
    output: terminalInfoSchema,
  }),
  defineRoute({
    name: 'sessions.terminalMode',
    method: 'POST',
    path: '/sessions/:id/terminal/mode',
    summary: 'Enters tmux copy mode (the view stops following output and can scroll) or leaves it (back to the live screen).',
    access: 'write',
    input: idParam.extend({ mode: z.enum(TERMINAL_MODES) }),
    output: terminalInfoSchema,
  }),
  defineRoute({
    name: 'sessions.terminalScroll',
    method: 'POST',
    path: '/sessions/:id/terminal/scroll',
    summary:
      'Scrolls the view: direction up|down by lines (copy mode is entered as needed), or to top|bottom; bottom leaves copy mode ' +
      '(the live screen).',
    access: 'write',
    input: idParam
      .extend({
        direction: z.enum(['up', 'down']).optional(),
        lines: z.number().int().min(1).max(MAX_SCROLL_LINES).optional().describe('with direction; default a screenful'),
        to: z.enum(['top', 'bottom']).optional(),
      })
      .refine((input) => (input.direction === undefined) !== (input.to === undefined), {
        message: 'give either direction (up or down, with lines) or to (top or bottom)',
        path: ['direction'],
      })
      .refine((input) => input.lines === undefined || input.direction !== undefined, { message: 'lines goes with direction', path: ['lines'] }),
    output: terminalInfoSchema,
  }),
  defineRoute({
    name: 'sessions.terminalSearch',
    method: 'POST',
    path: '/sessions/:id/terminal/search',
    summary:
      "Finds rows of the scrollback and screen that contain query (or match it as a regex), with their row numbers; reads a capture, so the person's view does not move.",
    // read: it reads the terminal's text as sessions.output does, and changes nothing (POST only to carry the query).
    access: 'read',
    input: terminalSearchInput,
    output: terminalSearchSchema,
  }),
  defineRoute({
    name: 'sessions.uploadImage',
    method: 'POST',
    path: '/sessions/:id/upload-image',
    summary:
      `Stores an image (multipart/form-data field "image", or JSON {name, dataBase64}; PNG, JPEG, GIF or WebP by its bytes; at most ` +
      `${MAX_IMAGE_BYTES / 1024 / 1024} MiB) in the session's upload folder and types its path into the agent's input, without Enter.`,
    access: 'write',
    input: idParam.extend({
      name: z.string().max(255).optional().describe('the original file name, for reference; never used as a path'),
      dataBase64: z.string().min(1, 'the image is empty').describe('the image, base64; a multipart upload fills this from its "image" part'),
      typePath: z.boolean().default(true).describe("type the stored path into the agent's input (without Enter)"),
    }),
    output: uploadImageSchema,
    body: { accepts: ['json', 'multipart'], maxBytes: MAX_IMAGE_BODY_BYTES, multipartFile: 'image' },
  }),
] as const;
