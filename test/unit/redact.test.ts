import { describe, expect, it } from 'vitest';
import { redact, redactText } from '../../src/core/policies/redact';

describe('redact', () => {
  it('replaces values of secret-looking keys at any depth', () => {
    expect(redact({ command: 'ls', password: 'hunter2', nested: { apiKey: 'k', list: [{ auth_token: 't' }] }, token: '' })).toEqual({
      command: 'ls',
      password: '[REDACTED]',
      nested: { apiKey: '[REDACTED]', list: [{ auth_token: '[REDACTED]' }] },
      token: '',
    });
  });

  it('replaces secrets inside text and keeps the rest readable', () => {
    expect(redactText('curl -H "Authorization: Bearer abcdefghijklmnop" https://x')).toBe('curl -H "Authorization: Bearer [REDACTED]" https://x');
    expect(redactText('export GITHUB_TOKEN=ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaa && make')).toBe('export GITHUB_TOKEN=[REDACTED] && make');
    expect(redactText('ANTHROPIC_API_KEY="sk-ant-xyz" run')).toBe('ANTHROPIC_API_KEY=[REDACTED] run');
    expect(redactText('mysql --password=s3cret -u root')).toBe('mysql --password=[REDACTED] -u root');
    expect(redactText('git clone https://me:pa55@github.com/x.git')).toBe('git clone https://me:[REDACTED]@github.com/x.git');
    expect(redactText('echo sk-proj-abcdefghijklmnopqrstuv')).toBe('echo [REDACTED]');
    expect(redactText('aws s3 ls # AKIAABCDEFGHIJKLMNOP')).toBe('aws s3 ls # [REDACTED]');
    expect(redactText('npm test -- --grep token')).toBe('npm test -- --grep token');
  });

  it('leaves the original untouched', () => {
    const input = { password: 'x' };
    redact(input);
    expect(input.password).toBe('x');
  });
});
