import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config';
import { AppError, ERROR_CODES, EXIT_CODES, exitCodeFor, isAppError } from '../../src/core/errors';
import { findExecutable, PROVIDERS, resolveProviderBinary } from '../../src/core/providers';

describe('AppError', () => {
  it('takes its status from the code and serialises to the envelope', () => {
    const error = new AppError('PAYLOAD_TOO_LARGE', 'too big', { details: { limit: 1 } });
    expect(error.status).toBe(413);
    expect(error.toJSON()).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: 'too big', details: { limit: 1 } } });
    expect(new AppError('INTERNAL', 'x').toJSON()).toEqual({ error: { code: 'INTERNAL', message: 'x' } });
  });

  it('maps families to distinct exit codes, and unknown codes by their status', () => {
    expect(new Set(Object.values(EXIT_CODES)).size).toBe(Object.keys(EXIT_CODES).length);
    expect(exitCodeFor(new AppError('VALIDATION_FAILED', ''))).toBe(2);
    expect(exitCodeFor(new AppError('DAEMON_NOT_RUNNING', ''))).toBe(3);
    expect(exitCodeFor(new AppError('ROUTE_NOT_FOUND', ''))).toBe(4);
    expect(exitCodeFor(new AppError('DAEMON_ALREADY_RUNNING', ''))).toBe(5);
    expect(exitCodeFor(new AppError('PERMISSION_DENIED', ''))).toBe(6);
    expect(exitCodeFor(new AppError('SOMETHING_NEW', '', { status: 404 }))).toBe(4);
    expect(exitCodeFor(new Error('plain'))).toBe(1);
    for (const [code, kind] of Object.entries(ERROR_CODES)) expect(new AppError(code, '').status, code).toBe(kind.status);
  });

  it('is recognised across bundle copies by its brand, not by instanceof', () => {
    const foreign = Object.assign(new Error('x'), { [Symbol.for('codepiper.AppError')]: true, code: 'X' });
    expect(isAppError(foreign)).toBe(true);
    expect(isAppError(new Error('x'))).toBe(false);
    expect(isAppError(null)).toBe(false);
  });
});

describe('config file', () => {
  const withFile = (content: string | undefined, check: (file: string) => void) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cpt-config-'));
    const file = path.join(dir, 'config.json');
    if (content !== undefined) fs.writeFileSync(file, content);
    try {
      check(file);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };

  it('is optional', () => withFile(undefined, (file) => expect(loadConfig(file)).toEqual({})));

  it('reads provider binaries', () =>
    withFile('{"providers":{"codex":{"binary":"/opt/codex"}}}', (file) => expect(loadConfig(file).providers?.codex?.binary).toBe('/opt/codex')));

  it('names the file and the field that is wrong', () => {
    withFile('{"providers":{"codex":{"bin":"x"}}}', (file) => expect(() => loadConfig(file)).toThrow(/config\.json: providers\.codex: .*bin/));
    withFile('{"tmux":{"binary":3}}', (file) => expect(() => loadConfig(file)).toThrow(/tmux\.binary: .*expected string/));
    withFile('{not json', (file) => expect(() => loadConfig(file)).toThrow(/is not valid JSON/));
  });
});

describe('provider binaries', () => {
  const claude = PROVIDERS.find((p) => p.id === 'claude-code')!;

  it('prefer the env var, then the config file, then the usual name', () => {
    expect(resolveProviderBinary(claude, { CODEPIPER_CLAUDE_BIN: process.execPath }, { providers: { 'claude-code': { binary: 'x' } } })).toMatchObject({
      source: 'env',
      path: process.execPath,
    });
    expect(resolveProviderBinary(claude, { PATH: '' }, { providers: { 'claude-code': { binary: '/nope/claude' } } })).toMatchObject({
      source: 'config',
      command: '/nope/claude',
      path: null,
    });
    expect(resolveProviderBinary(claude, { PATH: '' })).toMatchObject({ source: 'default', command: 'claude', path: null });
    expect(resolveProviderBinary(PROVIDERS.find((p) => p.id === 'command')!, {})).toBeNull();
  });

  it('are looked up on PATH like command -v', () => {
    const dir = path.dirname(process.execPath);
    expect(findExecutable(path.basename(process.execPath), `/nonexistent:${dir}`)).toBe(process.execPath);
    expect(findExecutable('surely-not-a-binary-name', dir)).toBeNull();
  });
});
