import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config';
import { readJsonText } from '../../src/core/config/json-text';
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

  it('names the file, the line and the field that is wrong', () => {
    withFile('{"providers":{"codex":{"bin":"x"}}}', (file) =>
      expect(() => loadConfig(file)).toThrow(/config\.json: line 1, column 24: providers\.codex: unknown key "bin" \(did you mean binary\?\)$/),
    );
    withFile('{"tmux":{"binary":3}}', (file) => expect(() => loadConfig(file)).toThrow(/line 1, column 10: tmux\.binary: .*expected string/));
    withFile('{not json', (file) => expect(() => loadConfig(file)).toThrow(/has 3 problems: line 1, column 2: keys need double quotes: "not"; line 1, column 6: expected ":" after the key "not", found "j"; line 1, column 10: the file ends inside an object/));
  });

  const problemsOf = (content: string) => {
    let caught: unknown;
    withFile(content, (file) => {
      try {
        loadConfig(file);
      } catch (error) {
        caught = error;
      }
    });
    expect(isAppError(caught)).toBe(true);
    return caught as AppError & { details: { problems: Array<{ line: number; column: number; path: string; message: string }> } };
  };

  it('reports every problem at once: a syntax error with its line and a misspelt key with the nearest name', () => {
    const error = problemsOf(['{', '  "providers": {', '    "claude-code": { "binry": "/opt/claude" },', '  },', '  "tmux": { "binary": "/usr/bin/tmux" }', '}', ''].join('\n'));
    expect(error.code).toBe('CONFIG_INVALID');
    expect(exitCodeFor(error)).toBe(2);
    expect(error.details.problems).toEqual([
      { line: 3, column: 22, path: 'providers.claude-code', message: 'unknown key "binry" (did you mean binary?)' },
      { line: 3, column: 46, path: '', message: 'a comma before "}": remove it' },
    ]);
    expect(error.message).toMatch(
      /^config file \S+config\.json has 2 problems: line 3, column 22: providers\.claude-code: unknown key "binry" \(did you mean binary\?\); line 3, column 46: a comma before "}": remove it$/,
    );
  });

  it('goes on past a missing comma, a comment and a bad value, and suggests top-level keys too', () => {
    const error = problemsOf(['{', '  // mine', '  "tmux": { "binary": "/usr/bin/tmux" }', '  "polices": { "defaultAction": "allow" },', '  "transcripts": { "scanOnStart": yes }', '}'].join('\n'));
    expect(error.details.problems.map((p) => `${p.line}:${p.column} ${p.path ? p.path + ': ' : ''}${p.message}`)).toEqual([
      '2:3 comments are not allowed in JSON',
      '4:3 a comma is missing after the value of "tmux"',
      '4:3 unknown key "polices" (did you mean policies?)',
      '5:35 expected a value here, found "yes"',
    ]);
  });

  it('says a value outside a list and the nearest one', () => {
    const error = problemsOf('{"policies": {"defaultAction": "dny"}}');
    expect(error.message).toMatch(/line 1, column 15: policies\.defaultAction: expected one of ask, deny, got "dny"; did you mean deny\?$/);
  });

  it('finds a problem exactly when JSON.parse does, and always comes to an end', () => {
    let seed = 13;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const pieces = ['{', '}', '[', ']', '"a"', '"b', ':', ',', '1', '-', 'true', 'x', ' ', '\n', "'", '//', '/*', '*/', '\\'];
    for (let n = 0; n < 5000; n++) {
      const text = Array.from({ length: Math.floor(random() * 12) }, () => pieces[Math.floor(random() * pieces.length)]).join('');
      let valid = true;
      try {
        JSON.parse(text);
      } catch {
        valid = false;
      }
      const read = readJsonText(text);
      expect(read.problems.length === 0, text).toBe(valid);
      if (valid) expect(read.value).toEqual(JSON.parse(text));
    }
  });

  it('refuses an empty file in words', () => {
    expect(problemsOf('  \n').message).toMatch(/line 2, column 1: the file is empty/);
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
