import type { FileSystemDescription } from '@aws-sdk/client-efs';
import { CliError } from '../errors.js';
import { hasErrorName } from '../aws/errors.js';
import { pollUntil, retryWhile } from '../aws/retry.js';
import { resource, type Context, type Resource } from './context.js';
import { isOwned, tags } from '../stack/spec.js';
import { createOrAdopt, deleteIgnoringMissing, fieldDiffs, observed } from './common.js';
import { sdk } from '../aws/sdk.js';

const { CreateFileSystemCommand, DeleteFileSystemCommand, DescribeFileSystemsCommand } = sdk.efs();

export interface FileSystemState {
  id: string;
  arn: string;
  encrypted: boolean;
  lifeCycleState: string;
}

function toState(fs: FileSystemDescription): FileSystemState {
  return { id: fs.FileSystemId!, arn: fs.FileSystemArn!, encrypted: fs.Encrypted === true, lifeCycleState: fs.LifeCycleState ?? 'unknown' };
}

/** What a call listing a file system's parts found: none once the file system is gone (a destroy part-way). */
export async function onFileSystem<T>(call: () => Promise<T[] | undefined>): Promise<T[]> {
  try {
    return (await call()) ?? [];
  } catch (err) {
    if (hasErrorName(err, 'FileSystemNotFound')) return [];
    throw err;
  }
}

/** The file system whose CreationToken is `token` (the stack's deterministic name), if any. */
async function describe(ctx: Context, token: string): Promise<FileSystemDescription | undefined> {
  const out = await ctx.aws.efs.send(new DescribeFileSystemsCommand({ CreationToken: token }));
  return out.FileSystems?.find((f) => f.LifeCycleState !== 'deleted');
}

/**
 * Grafana's data directory: an encrypted EFS file system found again by its CreationToken (which
 * also makes a retried CreateFileSystem idempotent: FileSystemAlreadyExists,
 * https://docs.aws.amazon.com/efs/latest/ug/API_CreateFileSystem.html).
 */
export function efsFileSystem(name: string): Resource<FileSystemState> {
  const self: Resource<FileSystemState> = resource<FileSystemState>({
    key: 'efs:file-system',
    kind: 'efs-file-system',
    name,
    dependsOn: [],
    optional: true,
    async observe(ctx) {
      const fs = await describe(ctx, name);
      if (!fs) return undefined;
      return observed(toState(fs), isOwned(ctx.spec, fs.Tags), fs.FileSystemId!);
    },
    async diff(_ctx, state) {
      // Encryption at rest is chosen at creation only: a plain file system under our name is reported, never replaced (it holds data).
      return fieldDiffs([['encrypted', state.encrypted, true]]);
    },
    async create(ctx) {
      return createOrAdopt(self, ctx, async () => {
        const fs = await ctx.aws.efs.send(new CreateFileSystemCommand({
          CreationToken: name,
          Encrypted: true,
          PerformanceMode: 'generalPurpose',
          ThroughputMode: 'bursting',
          Tags: [{ Key: 'Name', Value: name }, ...tags.keyValue(ctx.spec)],
        }));
        return toState(fs);
      }, ['FileSystemAlreadyExists']);
    },
    async update(_ctx, state) {
      throw new CliError(`EFS file system ${name} (${state.id}) is not encrypted at rest and encryption cannot be turned on later; move Grafana's data and delete it, or run destroy`);
    },
    async settle(ctx, state) {
      if (state.lifeCycleState === 'available') return state;
      const fs = await pollUntil(() => describe(ctx, name), (f) => !f || f.LifeCycleState !== 'creating', {
        what: `EFS file system ${name} to become available`,
        timeoutMs: 5 * 60_000,
        intervalMs: 2_000,
        signal: ctx.signal,
        onPoll: (f) => ctx.reporter.waiting('efs:file-system', `EFS file system ${name} is ${f?.LifeCycleState ?? 'missing'}`),
        explain: (f) => f?.LifeCycleState ?? 'missing',
      });
      if (!fs || fs.LifeCycleState !== 'available') throw new CliError(`EFS file system ${name} is ${fs?.LifeCycleState ?? 'gone'}, not available`);
      return toState(fs);
    },
    async delete(ctx, state) {
      // DeleteFileSystem answers FileSystemInUse while a mount target exists, and mount targets take a while to go
      // (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteFileSystem.html): the mount targets wait for that, this is the safety net.
      await retryWhile(
        () => deleteIgnoringMissing(() => ctx.aws.efs.send(new DeleteFileSystemCommand({ FileSystemId: state.id })), 'FileSystemNotFound'),
        {
          what: `deleting EFS file system ${name}`,
          budgetMs: 5 * 60_000,
          firstDelayMs: 5_000,
          maxDelayMs: 20_000,
          signal: ctx.signal,
          retryWhen: (err) => (hasErrorName(err, 'FileSystemInUse') ? 'still has mount targets being deleted' : undefined),
          onRetry: (reason) => ctx.reporter.waiting('efs:file-system', `EFS file system ${name} ${reason}`),
        },
      );
    },
    async health(_ctx, state) {
      return { healthy: state.lifeCycleState === 'available' && state.encrypted, state: state.encrypted ? state.lifeCycleState : `${state.lifeCycleState}, not encrypted` };
    },
    identify: (s) => s.id,
  });
  return self;
}
