import type { AccessPointDescription } from '@aws-sdk/client-efs';
import { CliError } from '../errors.js';
import { pollUntil } from '../aws/retry.js';
import { resource, type Context, type Resource } from './context.js';
import { isOwned, tags } from '../stack/spec.js';
import { createOrAdopt, deleteIgnoringMissing, fieldDiffs, observed } from './common.js';
import { onFileSystem, type FileSystemState } from './efs-file-system.js';
import { sdk } from '../aws/sdk.js';

const { CreateAccessPointCommand, DeleteAccessPointCommand, DescribeAccessPointsCommand } = sdk.efs();

/** The uid and gid Grafana's image runs as (https://grafana.com/docs/grafana/latest/setup-grafana/installation/docker/). */
export const GRAFANA_UID = 472;
/** Grafana's own directory on the file system, created by EFS with Grafana as its owner. */
export const GRAFANA_ROOT = '/grafana';
const PERMISSIONS = '750';

export interface AccessPointState {
  id: string;
  arn: string;
  fileSystemId: string;
  /** `uid:gid path owner:group:permissions`, to compare with what the stack asks for. */
  shape: string;
  lifeCycleState: string;
}

const WANTED_SHAPE = `${GRAFANA_UID}:${GRAFANA_UID} ${GRAFANA_ROOT} ${GRAFANA_UID}:${GRAFANA_UID}:${PERMISSIONS}`;

function toState(ap: AccessPointDescription): AccessPointState {
  const c = ap.RootDirectory?.CreationInfo;
  return {
    id: ap.AccessPointId!,
    arn: ap.AccessPointArn!,
    fileSystemId: ap.FileSystemId!,
    lifeCycleState: ap.LifeCycleState ?? 'unknown',
    shape: `${ap.PosixUser?.Uid}:${ap.PosixUser?.Gid} ${ap.RootDirectory?.Path ?? '/'} ${c?.OwnerUid}:${c?.OwnerGid}:${c?.Permissions}`,
  };
}

async function find(ctx: Context, fileSystemId: string, name: string): Promise<AccessPointDescription[]> {
  const found = await onFileSystem(async () => (await ctx.aws.efs.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId }))).AccessPoints);
  return found.filter((ap) => ap.LifeCycleState !== 'deleted' && ap.Tags?.some((t) => t.Key === 'Name' && t.Value === name));
}

/**
 * Grafana's way into the file system: every NFS call as uid/gid 472, rooted at its own directory, which
 * EFS creates owned by 472 on first use (https://docs.aws.amazon.com/efs/latest/ug/efs-access-points.html).
 */
export function efsAccessPoint(name: string, refs: { fileSystem: Resource<FileSystemState> }): Resource<AccessPointState> {
  const self: Resource<AccessPointState> = resource<AccessPointState>({
    key: 'efs:access-point',
    kind: 'efs-access-point',
    name,
    dependsOn: [refs.fileSystem],
    observeAfter: [refs.fileSystem],
    optional: true,
    async observe(ctx) {
      const fs = refs.fileSystem.peek(ctx);
      if (!fs) return undefined;
      const found = await find(ctx, fs.id, name);
      const ap = found.find((a) => isOwned(ctx.spec, a.Tags)) ?? found[0];
      if (!ap) return undefined;
      return observed(toState(ap), isOwned(ctx.spec, ap.Tags), ap.AccessPointId!);
    },
    async diff(_ctx, state) {
      return fieldDiffs([['user, root directory', state.shape, WANTED_SHAPE]]);
    },
    async create(ctx) {
      const fileSystemId = refs.fileSystem.state(ctx).id;
      return createOrAdopt(self, ctx, async () => toState(await ctx.aws.efs.send(new CreateAccessPointCommand({
        // Idempotent per file system: a retried call returns AccessPointAlreadyExists.
        ClientToken: `${ctx.spec.name}-grafana-${fileSystemId}`.slice(0, 64),
        FileSystemId: fileSystemId,
        PosixUser: { Uid: GRAFANA_UID, Gid: GRAFANA_UID },
        RootDirectory: { Path: GRAFANA_ROOT, CreationInfo: { OwnerUid: GRAFANA_UID, OwnerGid: GRAFANA_UID, Permissions: PERMISSIONS } },
        Tags: [{ Key: 'Name', Value: name }, ...tags.keyValue(ctx.spec)],
      }))), ['AccessPointAlreadyExists']);
    },
    // An access point cannot be modified: replace it (Grafana's files stay in the directory).
    async update(ctx, state) {
      await self.delete(ctx, state);
      return self.create(ctx);
    },
    // An access point is creating for a moment (https://docs.aws.amazon.com/efs/latest/ug/API_CreateAccessPoint.html).
    async settle(ctx, state) {
      if (state.lifeCycleState === 'available') return state;
      const found = await pollUntil(async () => (await find(ctx, state.fileSystemId, name)).find((a) => a.AccessPointId === state.id), (a) => !a || a.LifeCycleState !== 'creating', {
        what: `EFS access point ${name} to become available`,
        timeoutMs: 2 * 60_000,
        intervalMs: 1_000,
        signal: ctx.signal,
        onPoll: (a) => ctx.reporter.waiting('efs:access-point', `EFS access point ${name} is ${a?.LifeCycleState ?? 'missing'}`),
      });
      if (!found || found.LifeCycleState !== 'available') throw new CliError(`EFS access point ${name} is ${found?.LifeCycleState ?? 'gone'}, not available`);
      return toState(found);
    },
    async delete(ctx, state) {
      await deleteIgnoringMissing(() => ctx.aws.efs.send(new DeleteAccessPointCommand({ AccessPointId: state.id })), 'AccessPointNotFound');
    },
    identify: (s) => s.id,
  });
  return self;
}
