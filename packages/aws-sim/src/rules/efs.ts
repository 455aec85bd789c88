import { DescribeNetworkInterfacesCommand, DescribeSubnetsCommand, type Subnet } from '@aws-sdk/client-ec2';
import { DescribeAccessPointsCommand, DescribeFileSystemsCommand } from '@aws-sdk/client-efs';
import { isSuccess, replyJson, rewriteJson, type ActionRule, type RuleContext } from '../rule.js';
import type { EfsMountTarget, SimState } from '../state.js';
import { AwsError, jsonReply } from '../wire.js';

/**
 * Where EFS offers no mount targets. A Regional file system takes one in each Availability Zone of the Region
 * (https://docs.aws.amazon.com/efs/latest/ug/accessing-fs.html), so none in a zone a test marks (setZoneType)
 * as a Local Zone or Wavelength Zone. AWS documents no Availability Zone without them: the EFS API reference
 * only names the error (https://docs.aws.amazon.com/efs/latest/ug/API_CreateMountTarget.html); the one
 * documented AZ list is which AZ ids take One Zone file systems
 * (https://docs.aws.amazon.com/efs/latest/ug/OneZoneAZs.html), which does not govern Regional mount targets.
 * So only those zones and the AZ ids and subnets a test marks with setEfsUnsupported answer UnsupportedAvailabilityZone.
 */
function efsUnsupportedIn(state: SimState, subnet: Subnet): boolean {
  return state.zoneTypes.has(subnet.AvailabilityZone ?? '')
    || state.efsUnsupportedPlaces.has(subnet.AvailabilityZoneId ?? '')
    || state.efsUnsupportedPlaces.has(subnet.SubnetId ?? '');
}

/** EFS errors carry ErrorCode in the body besides the x-amzn-errortype header. */
function efsError(code: string, message: string, status: number): AwsError {
  return new AwsError(code, message, status, { ErrorCode: code, Message: message });
}

/** A resource moto makes 'available' at once and AWS shows 'creating' for a while after its Create call. */
interface Lifecycle {
  idField: 'FileSystemId' | 'AccessPointId';
  listField: 'FileSystems' | 'AccessPoints';
  phase: 'efsFileSystemCreateMs' | 'efsAccessPointCreateMs';
  createdAt(state: SimState): Map<string, number>;
  /** More fields the simulation decides (a file system's NumberOfMountTargets). */
  extra?(state: SimState, id: string): Record<string, unknown>;
}

const FILE_SYSTEM: Lifecycle = {
  idField: 'FileSystemId',
  listField: 'FileSystems',
  phase: 'efsFileSystemCreateMs',
  createdAt: (state) => state.efsFileSystemCreatedAt,
  // Deleting mount targets still count.
  extra: (state, id) => ({ NumberOfMountTargets: state.efsMountTargetsOf(id).length }),
};

const ACCESS_POINT: Lifecycle = {
  idField: 'AccessPointId',
  listField: 'AccessPoints',
  phase: 'efsAccessPointCreateMs',
  createdAt: (state) => state.efsAccessPointCreatedAt,
};

function lifeOf(state: SimState, kind: Lifecycle, id: string): 'creating' | 'available' | undefined {
  const createdAt = kind.createdAt(state).get(id);
  if (createdAt === undefined) return undefined;
  return state.isOver(createdAt, kind.phase) ? 'available' : 'creating';
}

/** A description with the simulated LifeCycleState (as moto gave it when the simulation never saw it created). */
function withLife(state: SimState, kind: Lifecycle, item: any): any {
  const id = item?.[kind.idField];
  const life = id && lifeOf(state, kind, id);
  return life ? { ...item, LifeCycleState: life, ...kind.extra?.(state, id) } : item;
}

/** Create: forwarded (after `check`), remembered, answered 'creating'. */
function createRule(kind: Lifecycle, check: (ctx: RuleContext) => Promise<void>): ActionRule {
  return async (ctx) => {
    await check(ctx);
    const reply = await ctx.forward();
    if (!isSuccess(reply)) return reply;
    const id = replyJson(reply)[kind.idField];
    if (id) kind.createdAt(ctx.state).set(id, ctx.state.now());
    return rewriteJson(reply, (item) => withLife(ctx.state, kind, item));
  };
}

function describeRule(kind: Lifecycle): ActionRule {
  return async (ctx) =>
    rewriteJson(await ctx.forward(), (body) => ({ ...body, [kind.listField]: (body[kind.listField] ?? []).map((item: any) => withLife(ctx.state, kind, item)) }));
}

function mountTargetView(state: SimState, target: EfsMountTarget): Record<string, unknown> | undefined {
  const life = state.efsMountTargetState(target);
  return life && { ...target.description, LifeCycleState: life };
}

function withMountTargetState(state: SimState, description: any): any {
  const target = description?.MountTargetId && state.efsMountTargets.get(description.MountTargetId);
  return (target && mountTargetView(state, target)) ?? description;
}

/** The file system's LifeCycleState, from the simulation or else moto (FileSystemNotFound if neither has it). */
async function requireAvailableFileSystem(ctx: RuleContext, fileSystemId: string): Promise<void> {
  let life: string | undefined = lifeOf(ctx.state, FILE_SYSTEM, fileSystemId);
  if (!life) {
    const found = await ctx.moto.efs.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId })).catch(() => undefined);
    life = found?.FileSystems?.[0]?.LifeCycleState;
  }
  if (!life) throw efsError('FileSystemNotFound', `File system '${fileSystemId}' does not exist.`, 404);
  if (life !== 'available') {
    throw efsError('IncorrectFileSystemLifeCycleState', `File system '${fileSystemId}' is in the '${life}' state; it must be 'available'.`, 409);
  }
}

/** moto makes a file system 'available' at once; AWS starts it in 'creating'
 * (https://docs.aws.amazon.com/efs/latest/ug/API_CreateFileSystem.html). Encryption and tags are moto's. */
const createFileSystem = createRule(FILE_SYSTEM, async () => undefined);

/** A file system with any mount target (deleting ones included) cannot be deleted
 * (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteFileSystem.html): FileSystemInUse. */
const deleteFileSystem: ActionRule = async (ctx) => {
  const fileSystemId = ctx.call.pathSegments[2];
  const targets = ctx.state.efsMountTargetsOf(fileSystemId);
  if (targets.length > 0) {
    throw efsError('FileSystemInUse', `File system '${fileSystemId}' has ${targets.length} mount target(s); delete them and wait until they are gone.`, 409);
  }
  const reply = await ctx.forward();
  if (isSuccess(reply)) ctx.state.efsFileSystemCreatedAt.delete(fileSystemId);
  return reply;
};

async function subnetOf(ctx: RuleContext, subnetId: string): Promise<Subnet | undefined> {
  const out = await ctx.moto.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] })).catch(() => undefined);
  return out?.Subnets?.[0];
}

/** The groups the mount target's ENI really has (AWS gives it the VPC's default group when none is named). */
async function interfaceGroups(ctx: RuleContext, networkInterfaceId: string | undefined): Promise<string[]> {
  if (!networkInterfaceId) return [];
  const out = await ctx.moto.ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [networkInterfaceId] })).catch(() => undefined);
  return (out?.NetworkInterfaces?.[0]?.Groups ?? []).map((g) => g.GroupId!).filter(Boolean);
}

/**
 * https://docs.aws.amazon.com/efs/latest/ug/API_CreateMountTarget.html: the file system must be 'available'
 * (IncorrectFileSystemLifeCycleState), one mount target per AZ (MountTargetConflict, a 'deleting' one still
 * counts, which moto forgets), none where EFS is not offered (UnsupportedAvailabilityZone); the mount target
 * starts 'creating' (moto: 'available' at once) with a requester-managed ENI carrying its security groups.
 */
const createMountTarget: ActionRule = async (ctx) => {
  const { FileSystemId: fileSystemId, SubnetId: subnetId } = ctx.call.input;
  if (fileSystemId) await requireAvailableFileSystem(ctx, fileSystemId);
  const subnet = subnetId ? await subnetOf(ctx, subnetId) : undefined;
  if (subnet) {
    const azId = subnet.AvailabilityZoneId ?? '';
    if (efsUnsupportedIn(ctx.state, subnet)) {
      throw efsError('UnsupportedAvailabilityZone', `Amazon EFS is not available in Availability Zone ${azId} (${subnet.AvailabilityZone}).`, 400);
    }
    const deleting = ctx.state.efsMountTargetsOf(fileSystemId).find((t) => t.availabilityZoneId === azId);
    if (deleting) {
      throw efsError('MountTargetConflict', `mount target ${deleting.mountTargetId} already exists in this AZ (${azId}).`, 409);
    }
  }
  const reply = await ctx.forward();
  if (!isSuccess(reply)) return reply;
  const description = replyJson(reply);
  delete description.SecurityGroups; // moto's own field, not in AWS's MountTargetDescription
  const target: EfsMountTarget = {
    mountTargetId: description.MountTargetId,
    fileSystemId,
    availabilityZoneId: description.AvailabilityZoneId ?? subnet?.AvailabilityZoneId ?? '',
    securityGroups: ctx.call.input.SecurityGroups ?? (await interfaceGroups(ctx, description.NetworkInterfaceId)),
    createdAt: ctx.state.now(),
    description,
  };
  ctx.state.efsMountTargets.set(target.mountTargetId, target);
  return jsonReply(mountTargetView(ctx.state, target), reply.status, 'application/json');
};

/**
 * https://docs.aws.amazon.com/efs/latest/ug/API_DescribeMountTargets.html: LifeCycleState creating |
 * available | deleting; a deleting mount target is still listed (moto has already forgotten it).
 */
const describeMountTargets: ActionRule = async (ctx) => {
  const { state } = ctx;
  const mountTargetId = ctx.call.query.get('MountTargetId');
  const known = mountTargetId ? state.efsMountTargets.get(mountTargetId) : undefined;
  const knownView = known && mountTargetView(state, known);
  if (knownView && state.efsMountTargetState(known) === 'deleting') return jsonReply({ MountTargets: [knownView] }, 200, 'application/json');
  const reply = await ctx.forward();
  const fileSystemId = ctx.call.query.get('FileSystemId');
  return rewriteJson(reply, (body) => {
    const listed: any[] = (body.MountTargets ?? []).map((mt: any) => withMountTargetState(state, mt));
    if (fileSystemId) {
      for (const target of state.efsMountTargetsOf(fileSystemId)) {
        if (!listed.some((mt) => mt.MountTargetId === target.mountTargetId)) listed.push(mountTargetView(state, target));
      }
    }
    return { ...body, MountTargets: listed };
  });
};

/** The mount target is 'deleting' for efsMountTargetDeleteMs, then gone; its ENI (and so its security groups)
 * is released eniLingerMs later (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteMountTarget.html). */
const deleteMountTarget: ActionRule = async (ctx) => {
  const mountTargetId = ctx.call.pathSegments[2];
  const reply = await ctx.forward();
  const target = ctx.state.efsMountTargets.get(mountTargetId);
  if (isSuccess(reply) && target) target.deletedAt = ctx.state.now();
  return reply;
};

/** A mount target that is not 'available' answers IncorrectMountTargetState
 * (https://docs.aws.amazon.com/efs/latest/ug/API_DescribeMountTargetSecurityGroups.html,
 * https://docs.aws.amazon.com/efs/latest/ug/API_ModifyMountTargetSecurityGroups.html). */
function requireMountTargetState(state: SimState, target: EfsMountTarget | undefined, allowed: string[]): void {
  const life = target && state.efsMountTargetState(target);
  if (target && life && !allowed.includes(life)) {
    throw efsError('IncorrectMountTargetState', `Mount target '${target.mountTargetId}' is in the '${life}' state.`, 409);
  }
}

const describeMountTargetSecurityGroups: ActionRule = async (ctx) => {
  const target = ctx.state.efsMountTargets.get(ctx.call.pathSegments[2]);
  requireMountTargetState(ctx.state, target, ['creating', 'available']);
  if (target && ctx.state.efsMountTargetState(target)) return jsonReply({ SecurityGroups: target.securityGroups }, 200, 'application/json');
  return ctx.forward();
};

const modifyMountTargetSecurityGroups: ActionRule = async (ctx) => {
  const target = ctx.state.efsMountTargets.get(ctx.call.pathSegments[2]);
  requireMountTargetState(ctx.state, target, ['available']);
  const reply = await ctx.forward();
  if (isSuccess(reply) && target && Array.isArray(ctx.call.input.SecurityGroups)) target.securityGroups = ctx.call.input.SecurityGroups;
  return reply;
};

/**
 * https://docs.aws.amazon.com/efs/latest/ug/API_CreateAccessPoint.html: the file system must exist
 * (FileSystemNotFound; moto does not check) and be 'available' (IncorrectFileSystemLifeCycleState); the access
 * point starts 'creating'. PosixUser, RootDirectory (with CreationInfo) and Tags are kept by moto.
 */
const createAccessPoint = createRule(ACCESS_POINT, async (ctx) => {
  const fileSystemId = ctx.call.input.FileSystemId;
  if (fileSystemId) await requireAvailableFileSystem(ctx, fileSystemId);
});

/** moto deletes an unknown access point silently; AWS answers AccessPointNotFound
 * (https://docs.aws.amazon.com/efs/latest/ug/API_DeleteAccessPoint.html). */
const deleteAccessPoint: ActionRule = async (ctx) => {
  const accessPointId = ctx.call.pathSegments[2];
  const exists = await ctx.moto.efs.send(new DescribeAccessPointsCommand({ AccessPointId: accessPointId })).then(() => true, () => false);
  if (!exists) throw efsError('AccessPointNotFound', `Access point '${accessPointId}' does not exist.`, 404);
  const reply = await ctx.forward();
  if (isSuccess(reply)) ctx.state.efsAccessPointCreatedAt.delete(accessPointId);
  return reply;
};

export const efsRules: Record<string, ActionRule> = {
  CreateFileSystem: createFileSystem,
  DescribeFileSystems: describeRule(FILE_SYSTEM),
  DeleteFileSystem: deleteFileSystem,
  CreateMountTarget: createMountTarget,
  DescribeMountTargets: describeMountTargets,
  DeleteMountTarget: deleteMountTarget,
  DescribeMountTargetSecurityGroups: describeMountTargetSecurityGroups,
  ModifyMountTargetSecurityGroups: modifyMountTargetSecurityGroups,
  CreateAccessPoint: createAccessPoint,
  DescribeAccessPoints: describeRule(ACCESS_POINT),
  DeleteAccessPoint: deleteAccessPoint,
};
