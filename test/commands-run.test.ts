import { PassThrough } from 'node:stream';
import { DescribeClustersCommand } from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDestroy } from '../src/commands/destroy.js';
import { runUp } from '../src/commands/up.js';
import { parseDestroyOptions, parseUpOptions } from '../src/config/options.js';
import { startSimulation, type Simulation } from '@fargate-prom/aws-sim/testing';
import type { CommandIo, TextQuestion } from '../src/ui/io.js';
import { PlainReporter } from '../src/ui/plain-reporter.js';
import { CREDENTIALS, REGION, simClients } from './support/sim-fixtures.js';

let sim: Simulation;
beforeAll(async () => {
  sim = await startSimulation();
});
afterAll(async () => {
  await sim?.stop();
});

/** An io whose prompts are answered from a script, in order; what was asked and written is kept. */
function scriptedIo(answers: string[]) {
  const asked: string[] = [];
  const out = { stdout: '', stderr: '' };
  const stream = (key: 'stdout' | 'stderr') => {
    const s = new PassThrough();
    s.on('data', (chunk) => { out[key] += String(chunk); });
    return s;
  };
  const stderr = stream('stderr');
  const io: CommandIo = {
    stdout: stream('stdout'),
    stderr,
    interactive: true,
    timeScale: 0.01,
    async ask(q: TextQuestion) {
      asked.push(q.message);
      const answer = answers.shift();
      if (answer === undefined) throw new Error(`unexpected question: ${q.message}`);
      if (q.validate && q.validate(answer) !== true) throw new Error(`the scripted answer "${answer}" was refused: ${q.validate(answer)}`);
      return answer;
    },
    reporter: () => new PlainReporter(stderr),
  };
  return { io, asked, out };
}

// Neither the process's environment nor its time scale: the sandbox's way of calling the commands.
const connection = { name: 'inproc', region: REGION, yes: false };

describe('commands run in-process with their prompts answered through io', () => {
  it('up asks for the app image and destroy for the stack name, through io', async () => {
    const upIo = scriptedIo(['ghcr.io/acme/shop:1.4']);
    const up = await runUp({ ...parseUpOptions({ ...connection, endpointUrl: sim.endpoint, desiredCount: '1', wait: false }, {}), credentials: CREDENTIALS }, upIo.io);
    expect(upIo.asked).toEqual(['Container image of your app (it must serve Prometheus metrics):']);
    expect(up.outcome).toBe('applied');
    const ecs = simClients(sim.endpoint).ecs;
    const before = await ecs.send(new DescribeClustersCommand({ clusters: ['inproc'] }));
    expect(before.clusters?.[0]?.status).toBe('ACTIVE');

    // A wrong name deletes nothing.
    const destroyOptions = { ...parseDestroyOptions({ ...connection, endpointUrl: sim.endpoint }), credentials: CREDENTIALS };
    const wrong = scriptedIo(['not-inproc']);
    await expect(runDestroy(destroyOptions, wrong.io)).rejects.toThrow('cancelled: the name did not match; nothing was deleted');
    expect(wrong.asked).toEqual(['Type the stack name (inproc) to delete it:']);
    expect(wrong.out.stderr).toContain('This deletes');
    expect((await ecs.send(new DescribeClustersCommand({ clusters: ['inproc'] }))).clusters?.[0]?.status).toBe('ACTIVE');

    const right = scriptedIo(['inproc']);
    const destroyed = await runDestroy(destroyOptions, right.io);
    expect(right.asked).toEqual(['Type the stack name (inproc) to delete it:']);
    expect(destroyed.outcome).toBe('deleted');
    expect(destroyed.error).toBeUndefined();
    // Read back from the local AWS, not from the command's report.
    const after = await ecs.send(new DescribeClustersCommand({ clusters: ['inproc'] }));
    expect(after.clusters?.[0]?.status ?? 'MISSING').not.toBe('ACTIVE');
    // The results were data: nothing was printed on stdout.
    expect(upIo.out.stdout + right.out.stdout).toBe('');
    ecs.destroy();
  }, 120_000);
});
