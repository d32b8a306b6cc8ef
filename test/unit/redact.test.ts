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

  it('catches headers, basic auth, database passwords, config text, JWTs and private keys', () => {
    expect(redactText('curl -H "X-Api-Key: abc123def" -u admin:hunter2 https://x')).toBe('curl -H "X-Api-Key: [REDACTED]" -u admin:[REDACTED] https://x');
    expect(redactText('mysql -u root -phunter2 db')).toBe('mysql -u root -p[REDACTED] db');
    expect(redactText('mkdir -p build')).toBe('mkdir -p build');
    expect(redactText('DB_PASS=xyz ./run')).toBe('DB_PASS=[REDACTED] ./run');
    expect(redactText('password: hunter2\nuser: me')).toBe('password: [REDACTED]\nuser: me');
    expect(redactText('{"password": "x", "name": "y"}')).toBe('{"password": [REDACTED], "name": "y"}');
    expect(redactText('aws_secret_access_key = wJalrXUtnFEMI')).toBe('aws_secret_access_key = [REDACTED]');
    expect(redactText('token eyJhbGciOiJIUzI1.eyJzdWIiOiIxMjM0.SflKxwRJSMeKKF2QT4')).toBe('token [REDACTED]');
    expect(redactText('key = sk_live_abcdefghijklmn')).toContain('[REDACTED]');
    expect(redactText('-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\nrest')).toBe('[REDACTED PRIVATE KEY]\nrest');
  });

  it('cuts long text and very deep values', () => {
    const long = redactText('x'.repeat(10_000));
    expect(long.length).toBeLessThan(4200);
    expect(long).toContain('[5904 more characters]');
    let deep: unknown = 'leaf';
    for (let i = 0; i < 30; i++) deep = { next: deep };
    expect(JSON.stringify(redact(deep))).toContain('[TOO DEEP]');
  });

  it('leaves the original untouched', () => {
    const input = { password: 'x' };
    redact(input);
    expect(input.password).toBe('x');
  });
});

describe('daemon.log', () => {
  it('redacts secrets in the lines it writes, as the audit log does', async () => {
    const { PassThrough } = await import('node:stream');
    const { createLogger } = await import('../../src/core/log');
    const stream = new PassThrough();
    let written = '';
    stream.on('data', (chunk) => (written += chunk));
    const log = createLogger(stream);
    log.error('INTERNAL: cannot send "export GITHUB_TOKEN=ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaa"', new Error('password=hunter2 rejected'));
    log.info('typed sk-proj-abcdefghijklmnopqrstuv');
    expect(written).not.toMatch(/ghp_a|hunter2|sk-proj-abc/);
    expect(written).toContain('GITHUB_TOKEN=[REDACTED]');
  });
});
