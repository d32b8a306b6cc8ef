import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STREAM_MESSAGES, TOPICS } from '../../src/core/api/events';
import { parseTopic, streamPath, topicName } from '../../src/core/api/topics';
import { MAN_PAGE_PATH } from '../../scripts/gen-man-api';

describe('the event stream contract', () => {
  it('builds and parses every topic name', () => {
    expect(topicName('sessions')).toBe('sessions');
    expect(topicName('library')).toBe('library');
    for (const kind of ['output', 'changed', 'events'] as const) {
      const name = topicName(kind, 'ab12');
      expect(name).toBe(TOPICS[kind].pattern.replace('<id>', 'ab12'));
      expect(parseTopic(name)).toEqual({ kind, session: 'ab12' });
    }
    expect(parseTopic('sessions')).toEqual({ kind: 'sessions' });
    expect(parseTopic('session:a:b:events')).toEqual({ kind: 'events', session: 'a:b' });
    for (const bad of ['', 'session', 'session::output', 'session:x:input', 'Sessions']) expect(parseTopic(bad), bad).toBeUndefined();
  });

  it('puts the topics and the replay point in the query string', () => {
    expect(streamPath(['sessions', topicName('changed', 'my name')], { since: 42 })).toBe('/events?topic=sessions&topic=session%3Amy+name%3Achanged&since=42');
  });

  it('is described in the man page: every topic, its event, and the stream messages', () => {
    const page = fs.readFileSync(MAN_PAGE_PATH, 'utf8');
    const section = page.slice(page.indexOf('.SH "EVENT STREAM"'), page.indexOf('.SH', page.indexOf('.SH "EVENT STREAM"') + 4));
    const roff = (text: string) => text.replace(/-/g, '\\-');
    for (const topic of Object.values(TOPICS)) {
      const [head, tail] = topic.pattern.split('<id>');
      expect(section, topic.pattern).toContain(tail === undefined ? `.B ${roff(head!)}` : `.BI ${roff(head!)} id ${roff(tail)}`);
      expect(section, topic.event).toMatch(new RegExp(`event\\n\\.BR? ${topic.event}\\b`));
    }
    for (const message of Object.keys(STREAM_MESSAGES)) expect(section).toContain(`.B${message === 'ready' ? 'R' : ''} ${message}`);
  });
});
