// The images under docker/ stay in step with what `up` deploys: one pinned Prometheus image and one
// start script (src/templates), and a reference app built the way the issue asks. No docker here: the
// Dockerfiles are read, not built.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROMETHEUS_IMAGE, agentContainerDefinition, agentStartScript } from '../src/templates/agent.js';

const ROOT = resolve(import.meta.dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Dockerfile instructions, comments dropped and continuation lines joined. */
function instructions(dockerfile: string): Array<{ op: string; args: string }> {
  return dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [, op, args] = /^(\S+)\s+(.*)$/.exec(l)!;
      return { op: op.toUpperCase(), args: args.trim() };
    });
}

describe('docker/prometheus-agent', () => {
  const steps = instructions(read('docker/prometheus-agent/Dockerfile'));

  it('builds FROM the pinned image the task definition uses', () => {
    const from = steps.filter((s) => s.op === 'FROM');
    expect(from).toHaveLength(1);
    expect(from[0].args).toBe(PROMETHEUS_IMAGE);
    // Pinned, not latest; the busybox variant, whose /bin/sh runs the start script.
    expect(PROMETHEUS_IMAGE).toMatch(/:v\d+\.\d+\.\d+-busybox$/);
    expect(agentContainerDefinition({ jobName: 'a', appPort: 8080, metricsPath: '/metrics', scrapeInterval: '15s', remoteWriteUrl: 'https://x', region: 'us-east-1', logGroup: 'g' }).image).toBe(from[0].args);
  });

  it('runs the one start script, copied from src/templates, the same the task definition carries', () => {
    const copies = steps.filter((s) => s.op === 'COPY');
    expect(copies).toHaveLength(1);
    const [source, destination] = copies[0].args.split(/\s+/);
    expect(source).toBe('src/templates/agent-start.sh');
    expect(read(source)).toBe(agentStartScript());
    const entrypoint = JSON.parse(steps.find((s) => s.op === 'ENTRYPOINT')!.args) as string[];
    expect(entrypoint).toEqual(['/bin/sh', destination]);
    // The build context is the repo root; its dockerignore must let the script through.
    const ignore = read('docker/prometheus-agent/Dockerfile.dockerignore').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(ignore).toContain(`!${source}`);
  });
});

describe('docker/metrics-app', () => {
  const steps = instructions(read('docker/metrics-app/Dockerfile'));
  const appPackage = JSON.parse(read('docker/metrics-app/package.json'));
  const rootPackage = JSON.parse(read('package.json'));

  it('is a pinned Node 20 base, production deps only, a non-root user, port 8080', () => {
    const from = steps.filter((s) => s.op === 'FROM').map((s) => s.args);
    expect(from).toHaveLength(1);
    expect(from[0]).toMatch(/^node:20\.\d+\.\d+-(alpine|slim|bookworm-slim)/);
    expect(steps.some((s) => s.op === 'RUN' && /\bnpm ci\b.*--omit=dev/.test(s.args))).toBe(true);
    const user = steps.filter((s) => s.op === 'USER').at(-1)?.args;
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    // The user is set before the app starts.
    expect(steps.findIndex((s) => s.op === 'USER')).toBeLessThan(steps.findIndex((s) => s.op === 'CMD'));
    expect(steps.filter((s) => s.op === 'EXPOSE').map((s) => s.args)).toEqual(['8080']);
  });

  it('depends on prom-client with the same major as the CLI, locked for npm ci', () => {
    const major = (range: string) => /(\d+)\./.exec(range)![1];
    expect(major(appPackage.dependencies['prom-client'])).toBe(major(rootPackage.dependencies['prom-client']));
    const lock = JSON.parse(read('docker/metrics-app/package-lock.json'));
    expect(lock.packages[''].dependencies).toEqual(appPackage.dependencies);
    expect(major(lock.packages['node_modules/prom-client'].version)).toBe(major(appPackage.dependencies['prom-client']));
    // Everything the image runs is copied in.
    const copied = steps.filter((s) => s.op === 'COPY').flatMap((s) => s.args.split(/\s+/).slice(0, -1));
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', appPackage.main]));
  });
});
