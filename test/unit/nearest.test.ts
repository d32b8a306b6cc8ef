import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, nearestNames, withSuggestion } from '../../src/core/nearest';
import { KEY_NAMES } from '../../src/core/runner/keys';

describe('editDistance', () => {
  it('counts insertions, deletions, substitutions and swaps of neighbours, without case', () => {
    expect(editDistance('idle', 'idle')).toBe(0);
    expect(editDistance('Claude', 'claude')).toBe(0);
    expect(editDistance('idl', 'idle')).toBe(1);
    expect(editDistance('idel', 'idle')).toBe(1);
    expect(editDistance('cost', 'costs')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('abc', '')).toBe(3);
  });
});

describe('nearestNames', () => {
  const providers = ['claude-code', 'codex', 'command'];
  const states = ['starting', 'running', 'idle', 'needs_input', 'needs_permission', 'stopped', 'crashed'];

  it('suggests by prefix and by a few edits, best first', () => {
    expect(nearestNames('claud', providers)).toEqual(['claude-code']);
    expect(nearestNames('codx', providers)).toEqual(['codex']);
    expect(nearestNames('idl', states)).toEqual(['idle']);
    expect(nearestNames('needs', states)).toEqual(['needs_input', 'needs_permission']);
    expect(nearestNames('cost', ['overview', 'costs', 'tools', 'activity', 'sessions'])).toEqual(['costs']);
    expect(nearestNames('binry', ['binary'])).toEqual(['binary']);
  });

  it('suggests nothing when nothing is near, and at most the limit', () => {
    expect(nearestNames('zzzzzz', providers)).toEqual([]);
    expect(nearestNames('', providers)).toEqual([]);
    expect(nearestNames('badkey', KEY_NAMES)).toEqual([]);
    expect(nearestNames('ctrl+', KEY_NAMES)).toHaveLength(3);
    expect(nearestNames('ctrl-c', KEY_NAMES)).toEqual(['ctrl+c']);
    expect(nearestNames('entr', KEY_NAMES)).toEqual(['enter']);
  });

  it('words the suggestion for an error line', () => {
    expect(didYouMean('idl', states)).toBe('did you mean idle?');
    expect(didYouMean('co', providers)).toBe('did you mean codex or command?');
    expect(didYouMean('c', ['ab', 'cd'])).toBe('did you mean cd?');
    expect(didYouMean('qqqq', providers)).toBe('');
    expect(withSuggestion('unknown state "idl"', 'idl', states)).toBe('unknown state "idl"; did you mean idle?');
    expect(withSuggestion('unknown state "qqqq"', 'qqqq', states)).toBe('unknown state "qqqq"');
  });
});
