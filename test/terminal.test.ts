import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ListWorkspacesCommand } from '@aws-sdk/client-amp';
import { BIN, simEnv } from './support/cli.js';
import { withStack } from './support/stack.js';

// On a real terminal: prompts (inquirer), spinners and the live service table (ora).
const PTY = resolve(import.meta.dirname, 'support/pty-run.py');
const stack = withStack();

async function onTerminal(args: string[], answers: [string, string][], size: [number, number] = [50, 160]) {
  const dir = mkdtempSync(join(tmpdir(), 'fargate-prom-pty-'));
  const script = join(dir, 'script.json');
  writeFileSync(script, JSON.stringify({ answers, timeout: 90, size }));
  // A terminal session: no CI variable, a terminal type, the CLI's own stdin/stdout on the pty.
  const env = { ...simEnv({ CI: undefined }), TERM: 'xterm-256color', COLUMNS: '160', LINES: '50' };
  const { stdout } = await promisify(execFile)('python3', [PTY, script, '--', process.execPath, BIN, ...args, '--endpoint-url', stack.sim.endpoint], { env, maxBuffer: 32 * 1024 * 1024 })
    .finally(() => rmSync(dir, { recursive: true, force: true }));
  const run = JSON.parse(stdout) as { code: number | null; output: string };
  // What a person would read, without the escape sequences that draw spinners and move the cursor.
  return { ...run, plain: run.output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '') };
}

describe('on a terminal', () => {
  it('up asks for the app image, shows spinners and the live service table, then the URLs', async () => {
    const run = await onTerminal(['up', '--name', 'tty', '--desired-count', '1'], [['Container image of your app', 'ghcr.io/acme/shop:1.4\r']]);
    expect(run.code, run.plain.slice(-2000)).toBe(0);
    expect(run.plain).toContain('Container image of your app (it must serve Prometheus metrics):');
    // ora draws braille spinner frames; the live table has a header row and one row per service.
    expect(run.output).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    expect(run.plain).toMatch(/SERVICE\s+DESIRED\s+RUNNING\s+PENDING\s+ROLLOUT/);
    expect(run.plain).toMatch(/tty-app\s+1\s+\d/);
    expect(run.plain).toContain('Stack tty in us-east-1: 25 create');
  });

  it('destroy asks for the stack name; a wrong name deletes nothing', async () => {
    const run = await onTerminal(['destroy', '--name', 'tty'], [['Type the stack name \\(tty\\)', 'ttx\r']]);
    expect(run.code).toBe(1);
    expect(run.plain).toContain('cancelled: the name did not match; nothing was deleted');
    expect((await stack.aws.amp.send(new ListWorkspacesCommand({ alias: 'tty' }))).workspaces).toHaveLength(1);
  });

  it('Ctrl-C at the prompt stops with exit 130 and deletes nothing', async () => {
    const run = await onTerminal(['destroy', '--name', 'tty'], [['Type the stack name \\(tty\\)', '\x03']]);
    expect(run.code, run.plain.slice(-2000)).toBe(130);
    expect(run.plain).toContain('error: interrupted');
    expect(run.plain).not.toMatch(/ExitPromptError|\n\s+at /);
    expect((await stack.aws.amp.send(new ListWorkspacesCommand({ alias: 'tty' }))).workspaces).toHaveLength(1);
  });

  it('a terminal that reports no width gets plain progress lines instead of redraws', async () => {
    const run = await onTerminal(['up', '--name', 'tty', '--app-image', 'ghcr.io/acme/shop:1.4', '--dry-run'], [], [0, 0]);
    expect(run.code, run.plain.slice(-2000)).toBe(0);
    expect(run.plain).toMatch(/^\[\s*\d+\.\ds\] Observing 25 resources of stack tty/m);
    expect(run.output).not.toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/);
    expect(run.plain).toContain('Plan for stack tty in us-east-1 (dry run: nothing was changed)');
  });

  it('destroy with the name typed deletes everything', async () => {
    const run = await onTerminal(['destroy', '--name', 'tty'], [['Type the stack name \\(tty\\)', 'tty\r']]);
    expect(run.code, run.plain.slice(-2000)).toBe(0);
    expect(run.plain).toContain('Sweep: nothing tagged with the stack is left.');
    const left = (await stack.aws.amp.send(new ListWorkspacesCommand({ alias: 'tty' }))).workspaces!.filter((w) => w.status?.statusCode !== 'DELETING');
    expect(left).toEqual([]);
  });
});
