import { describe, expect, it } from 'vitest';
import { WS_CLIENT_FRAME_TYPES, WS_RESUME, parseClientFrame, terminalControlSchema, terminalPath, terminalSessionRef, wsServerFrameSchema } from '../../src/core/api/ws';
import { TOPIC_KINDS } from '../../src/core/api/topics';

const parse = (value: unknown) => parseClientFrame(typeof value === 'string' ? value : JSON.stringify(value), false);

describe('WebSocket client frames', () => {
  it('accepts every frame type of the contract', () => {
    const frames = [
      { type: 'subscribe', topics: ['sessions', 'session:ab:output'], since: 12, ref: 1 },
      { type: 'unsubscribe', topics: ['sessions'] },
      { type: 'send', session: 'ab', text: 'ls', enter: false, ref: 'a' },
      { type: 'keys', session: 'ab', keys: ['ctrl+c'] },
      { type: 'paste', session: 'ab', text: 'line 1\nline 2' },
      { type: 'ping' },
    ];
    expect(frames.map((frame) => frame.type).sort()).toEqual([...WS_CLIENT_FRAME_TYPES].sort());
    for (const frame of frames) expect(parse(frame), frame.type).toEqual({ ok: true, frame });
  });

  it('turns bad frames into error frames that name what was wrong, with the ref when one was readable', () => {
    expect(parse('{not json')).toMatchObject({ ok: false, error: { type: 'error', code: 'INVALID_JSON', message: expect.stringMatching(/^frame is not JSON/) } });
    expect(parseClientFrame(Buffer.from([0, 1, 2]), true)).toMatchObject({ ok: false, error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.stringContaining('binary') } });
    expect(parse([1, 2])).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', message: expect.stringContaining('JSON object') } });
    expect(parse('null')).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED' } });
    const unknown = parse({ type: 'explode', ref: 'r1' });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'VALIDATION_FAILED', ref: 'r1', message: expect.stringContaining('unknown frame type "explode"; types are subscribe') } });
    expect(parse({ ref: 3 })).toMatchObject({ ok: false, error: { ref: 3, message: expect.stringContaining('unknown frame type null') } });
    expect(parse({ type: 'subscribe', topics: [], ref: 'x' })).toMatchObject({ ok: false, error: { ref: 'x', message: expect.stringMatching(/^subscribe frame: topics: /) } });
    expect(parse({ type: 'subscribe', topics: ['sessions'], since: -1 })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/^subscribe frame: since: /) } });
    expect(parse({ type: 'send', session: 'ab', text: 'x', extra: true })).toMatchObject({ ok: false, error: { message: expect.stringContaining('extra') } });
    expect(parse({ type: 'keys', session: 'ab', keys: 'enter' })).toMatchObject({ ok: false, error: { message: expect.stringMatching(/^keys frame: keys: /) } });
    expect(parse({ type: 'send', session: '', text: 'x' })).toMatchObject({ ok: false });
    // A ref that is not a string or number is not echoed.
    expect(parse({ type: 'nope', ref: { a: 1 } })).toMatchObject({ ok: false, error: expect.not.objectContaining({ ref: expect.anything() }) });
  });

  it('declares what resuming means for every topic', () => {
    expect(Object.keys(WS_RESUME).sort()).toEqual(Object.keys(TOPIC_KINDS).sort());
  });

  it('declares the server frames a client receives', () => {
    const frames = [
      { type: 'hello', version: '1.0.0', protocol: 1, topics: ['sessions'], scope: 'read', limits: { maxFrameBytes: 1, maxQueuedBytes: 2, heartbeatMs: 3 } },
      { type: 'ready', ref: 'a', topics: ['sessions'], positions: { 'session:ab:output': 5 } },
      { type: 'event', topic: 'session:ab:output', event: 'output', seq: 10, data: { session: 'ab', seq: 5, data: 'aGk=' } },
      { type: 'ok', ref: 2, result: { ok: true, bytes: 2 } },
      { type: 'error', code: 'INPUT_DENIED', message: 'no' },
      { type: 'overflow', message: 'too slow' },
      { type: 'pong' },
    ];
    for (const frame of frames) expect(wsServerFrameSchema.safeParse(frame).success, frame.type).toBe(true);
  });
});

describe('terminal bridge frames and paths', () => {
  it('parses resize frames within bounds', () => {
    expect(terminalControlSchema.safeParse({ type: 'resize', cols: 120, rows: 40 }).success).toBe(true);
    for (const bad of [{ type: 'resize', cols: 0, rows: 40 }, { type: 'resize', cols: 1e6, rows: 40 }, { type: 'resize', cols: 1.5, rows: 2 }, { type: 'resize' }]) {
      expect(terminalControlSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('finds the session in a terminal path', () => {
    expect(terminalSessionRef('/sessions/ab12/terminal')).toBe('ab12');
    expect(terminalSessionRef('/sessions/my%20name/terminal')).toBe('my name');
    expect(terminalPath('my name/x', { readOnly: true, cols: 80, rows: 24 })).toBe('/sessions/my%20name%2Fx/terminal?readonly=1&cols=80&rows=24');
    expect(terminalSessionRef(terminalPath('my name/x').split('?')[0]!)).toBe('my name/x');
    for (const bad of ['/sessions//terminal', '/sessions/a/b/terminal', '/sessions/a/terminal/', '/ws', '/sessions/%E0%A4%A/terminal']) expect(terminalSessionRef(bad), bad).toBeUndefined();
  });
});
