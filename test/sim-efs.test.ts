import { DeleteSecurityGroupCommand, DescribeAvailabilityZonesCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeTaskDefinitionCommand, RegisterTaskDefinitionCommand, type Volume } from '@aws-sdk/client-ecs';
import {
  CreateAccessPointCommand,
  CreateFileSystemCommand,
  CreateMountTargetCommand,
  DeleteAccessPointCommand,
  DeleteFileSystemCommand,
  DeleteMountTargetCommand,
  DescribeAccessPointsCommand,
  DescribeFileSystemsCommand,
  DescribeMountTargetsCommand,
  DescribeMountTargetSecurityGroupsCommand,
  EFSClient,
} from '@aws-sdk/client-efs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulation, type Simulation } from '@fargate-prom/aws-sim/testing';
import {
  CREDENTIALS,
  REGION,
  createSecurityGroup,
  defaultNetwork,
  eventually,
  expectAwsError,
  resetMoto,
  simClients,
  type SimClients,
} from './support/sim-fixtures.js';

// Each phase is held long (60 s) to observe it, then released (setTiming to a few ms) to see it end, so
// nothing depends on how fast the machine is.
const HELD = 60_000;
const RELEASED = 20;

let sim: Simulation;
let c: SimClients;
let efs: EFSClient;
/** Raw moto, to read back what the simulation left there. */
let motoEfs: EFSClient;

beforeAll(async () => {
  sim = await startSimulation();
  c = simClients(sim.endpoint);
  efs = new EFSClient({ endpoint: sim.endpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
  motoEfs = new EFSClient({ endpoint: sim.motoEndpoint, region: REGION, credentials: CREDENTIALS, maxAttempts: 1 });
});
afterAll(async () => {
  await sim?.stop();
});
beforeEach(async () => {
  await resetMoto(sim);
  sim.setTiming({ efsFileSystemCreateMs: RELEASED, efsMountTargetCreateMs: RELEASED, efsMountTargetDeleteMs: RELEASED, efsAccessPointCreateMs: RELEASED, eniLingerMs: RELEASED });
});

async function availableFileSystem(token: string): Promise<string> {
  const fs = await efs.send(new CreateFileSystemCommand({ CreationToken: token, Encrypted: true }));
  await eventually(async () => (await efs.send(new DescribeFileSystemsCommand({ FileSystemId: fs.FileSystemId }))).FileSystems?.[0]?.LifeCycleState === 'available', 5_000, 'the file system to be available');
  return fs.FileSystemId!;
}

async function mountTargetState(mountTargetId: string): Promise<string | undefined> {
  const out = await efs.send(new DescribeMountTargetsCommand({ MountTargetId: mountTargetId })).catch((err) => {
    if (err.name === 'MountTargetNotFound') return undefined;
    throw err;
  });
  return out?.MountTargets?.[0]?.LifeCycleState;
}

describe('EFS file systems', () => {
  it('starts a file system in creating, encrypted and tagged, then available; mount targets wait for available', async () => {
    sim.setTiming({ efsFileSystemCreateMs: HELD });
    const created = await efs.send(new CreateFileSystemCommand({ CreationToken: 'fp-grafana', Encrypted: true, Tags: [{ Key: 'fargate-prom:stack', Value: 's1' }] }));
    expect(created.LifeCycleState).toBe('creating');
    const described = (await efs.send(new DescribeFileSystemsCommand({ FileSystemId: created.FileSystemId }))).FileSystems![0];
    expect(described).toMatchObject({ LifeCycleState: 'creating', Encrypted: true, Tags: [{ Key: 'fargate-prom:stack', Value: 's1' }] });
    const { subnets } = await defaultNetwork(c);
    await expectAwsError(efs.send(new CreateMountTargetCommand({ FileSystemId: created.FileSystemId, SubnetId: subnets[0].SubnetId })), 'IncorrectFileSystemLifeCycleState');
    await expectAwsError(efs.send(new CreateAccessPointCommand({ FileSystemId: created.FileSystemId })), 'IncorrectFileSystemLifeCycleState');
    expect((await motoEfs.send(new DescribeMountTargetsCommand({ FileSystemId: created.FileSystemId }))).MountTargets).toEqual([]);

    sim.setTiming({ efsFileSystemCreateMs: RELEASED });
    await eventually(async () => (await efs.send(new DescribeFileSystemsCommand({ FileSystemId: created.FileSystemId }))).FileSystems![0].LifeCycleState === 'available', 5_000, 'available');
    const target = await efs.send(new CreateMountTargetCommand({ FileSystemId: created.FileSystemId, SubnetId: subnets[0].SubnetId }));
    expect(target.FileSystemId).toBe(created.FileSystemId);
  });

  it('refuses DeleteFileSystem with FileSystemInUse while a mount target exists, deleting ones included', async () => {
    const fileSystemId = await availableFileSystem('fp-in-use');
    const { subnets } = await defaultNetwork(c);
    const target = await efs.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: subnets[0].SubnetId }));
    await expectAwsError(efs.send(new DeleteFileSystemCommand({ FileSystemId: fileSystemId })), 'FileSystemInUse');

    sim.setTiming({ efsMountTargetDeleteMs: HELD });
    await efs.send(new DeleteMountTargetCommand({ MountTargetId: target.MountTargetId }));
    expect(await mountTargetState(target.MountTargetId!)).toBe('deleting');
    const listed = (await efs.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets!;
    expect(listed.map((mt) => [mt.MountTargetId, mt.LifeCycleState])).toEqual([[target.MountTargetId, 'deleting']]);
    expect((await efs.send(new DescribeFileSystemsCommand({ FileSystemId: fileSystemId }))).FileSystems![0].NumberOfMountTargets).toBe(1);
    await expectAwsError(efs.send(new DeleteFileSystemCommand({ FileSystemId: fileSystemId })), 'FileSystemInUse');

    sim.setTiming({ efsMountTargetDeleteMs: RELEASED });
    await eventually(async () => (await mountTargetState(target.MountTargetId!)) === undefined, 5_000, 'the mount target to be gone');
    expect((await efs.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets).toEqual([]);
    sim.clearCalls();
    await efs.send(new DeleteFileSystemCommand({ FileSystemId: fileSystemId }));
    expect((await motoEfs.send(new DescribeFileSystemsCommand({}))).FileSystems).toEqual([]);
    // EFS calls are recorded under their API names (restJson paths), so tests can count mutating ones.
    await efs.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId })).catch(() => undefined);
    expect(sim.calls().map(({ service, action, mutating }) => [service, action, mutating])).toEqual([
      ['elasticfilesystem', 'DeleteFileSystem', true],
      ['elasticfilesystem', 'DescribeMountTargets', false],
    ]);
  });
});

describe('EFS mount targets', () => {
  it('goes creating → available, stays creating while efsMountTargetCreateMs is held, and allows one per AZ', async () => {
    const fileSystemId = await availableFileSystem('fp-mt');
    const { vpcId, subnets } = await defaultNetwork(c);
    const groupId = await createSecurityGroup(c, vpcId, 'fp-efs');
    sim.setTiming({ efsMountTargetCreateMs: HELD });
    const target = await efs.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: subnets[0].SubnetId, SecurityGroups: [groupId] }));
    expect(target.LifeCycleState).toBe('creating');
    expect(target.NetworkInterfaceId).toMatch(/^eni-/);
    expect(await mountTargetState(target.MountTargetId!)).toBe('creating');
    expect((await efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: target.MountTargetId }))).SecurityGroups).toEqual([groupId]);

    const sameAz = subnets.find((s) => s.AvailabilityZoneId === subnets[0].AvailabilityZoneId)!;
    await expectAwsError(efs.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: sameAz.SubnetId })), 'MountTargetConflict');

    sim.setTiming({ efsMountTargetCreateMs: RELEASED });
    await eventually(async () => (await mountTargetState(target.MountTargetId!)) === 'available', 5_000, 'the mount target to be available');
    const other = subnets.find((s) => s.AvailabilityZoneId !== subnets[0].AvailabilityZoneId)!;
    const second = await efs.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: other.SubnetId, SecurityGroups: [groupId] }));
    const listed = (await motoEfs.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets!;
    expect(listed.map((mt) => mt.MountTargetId).sort()).toEqual([target.MountTargetId, second.MountTargetId].sort());
  });

  it('keeps the AZ taken while its mount target is deleting (MountTargetConflict), then frees it', async () => {
    const fileSystemId = await availableFileSystem('fp-mt-az');
    const { subnets } = await defaultNetwork(c);
    const target = await efs.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: subnets[0].SubnetId }));
    sim.setTiming({ efsMountTargetDeleteMs: HELD });
    await efs.send(new DeleteMountTargetCommand({ MountTargetId: target.MountTargetId }));
    await expectAwsError(efs.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: subnets[0].SubnetId })), 'MountTargetConflict');
    await expectAwsError(efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: target.MountTargetId })), 'IncorrectMountTargetState');
    sim.setTiming({ efsMountTargetDeleteMs: RELEASED });
    await eventually(async () => (await mountTargetState(target.MountTargetId!)) === undefined, 5_000, 'the mount target to be gone');
    const again = await efs.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: subnets[0].SubnetId }));
    expect(again.MountTargetId).not.toBe(target.MountTargetId);
  });

  it("keeps the mount target's security group in use (DependencyViolation) until its ENI is released", async () => {
    const fileSystemId = await availableFileSystem('fp-mt-sg');
    const { vpcId, subnets } = await defaultNetwork(c);
    const groupId = await createSecurityGroup(c, vpcId, 'fp-efs-sg');
    const target = await efs.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: subnets[0].SubnetId, SecurityGroups: [groupId] }));
    await expectAwsError(c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId })), 'DependencyViolation', /EFS mount target/);

    sim.setTiming({ efsMountTargetDeleteMs: RELEASED, eniLingerMs: HELD });
    await efs.send(new DeleteMountTargetCommand({ MountTargetId: target.MountTargetId }));
    await eventually(async () => (await mountTargetState(target.MountTargetId!)) === undefined, 5_000, 'the mount target to be gone');
    await expectAwsError(c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId })), 'DependencyViolation', /network interface of deleted EFS mount target/);

    sim.setTiming({ eniLingerMs: RELEASED });
    await eventually(async () => c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId })).then(() => true), 5_000, 'the security group to be deletable');
    const left = (await c.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-id', Values: [groupId] }] }))).SecurityGroups;
    expect(left).toEqual([]);
  });

  it('answers UnsupportedAvailabilityZone in an AZ id or subnet marked as not offering EFS, and creates nothing', async () => {
    const fileSystemId = await availableFileSystem('fp-mt-unsupported');
    const { subnets } = await defaultNetwork(c);
    const [first, second] = subnets.filter((s, i) => subnets.findIndex((o) => o.AvailabilityZoneId === s.AvailabilityZoneId) === i);
    sim.setEfsUnsupported(first.AvailabilityZoneId!, true);
    sim.setEfsUnsupported(second.SubnetId!, true);
    await expectAwsError(efs.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: first.SubnetId })), 'UnsupportedAvailabilityZone', new RegExp(first.AvailabilityZoneId!));
    await expectAwsError(efs.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: second.SubnetId })), 'UnsupportedAvailabilityZone');
    expect((await motoEfs.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets).toEqual([]);

    sim.setEfsUnsupported(first.AvailabilityZoneId!, false);
    sim.setEfsUnsupported(second.SubnetId!, false);
    const target = await efs.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: first.SubnetId }));
    expect(target.AvailabilityZoneId).toBe(first.AvailabilityZoneId);
  });

  it('reports a zone marked as a Local Zone with that ZoneType, and answers UnsupportedAvailabilityZone in its subnets', async () => {
    const fileSystemId = await availableFileSystem('fp-mt-local-zone');
    const { subnets } = await defaultNetwork(c);
    const [local, regular] = subnets.filter((s, i) => subnets.findIndex((o) => o.AvailabilityZone === s.AvailabilityZone) === i);
    const zoneTypes = async () => Object.fromEntries(((await c.ec2.send(new DescribeAvailabilityZonesCommand({ ZoneNames: [local.AvailabilityZone!, regular.AvailabilityZone!], AllAvailabilityZones: true }))).AvailabilityZones ?? [])
      .map((z) => [z.ZoneName, z.ZoneType]));
    expect(await zoneTypes()).toEqual({ [local.AvailabilityZone!]: 'availability-zone', [regular.AvailabilityZone!]: 'availability-zone' });

    sim.setZoneType(local.AvailabilityZone!, 'local-zone');
    try {
      expect(await zoneTypes()).toEqual({ [local.AvailabilityZone!]: 'local-zone', [regular.AvailabilityZone!]: 'availability-zone' });
      await expectAwsError(efs.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: local.SubnetId })), 'UnsupportedAvailabilityZone', new RegExp(local.AvailabilityZone!));
      expect((await motoEfs.send(new DescribeMountTargetsCommand({ FileSystemId: fileSystemId }))).MountTargets).toEqual([]);
      await efs.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: regular.SubnetId }));
    } finally {
      sim.setZoneType(local.AvailabilityZone!, 'availability-zone');
    }
    expect((await zoneTypes())[local.AvailabilityZone!]).toBe('availability-zone');
    const target = await efs.send(new CreateMountTargetCommand({ FileSystemId: fileSystemId, SubnetId: local.SubnetId }));
    expect(target.AvailabilityZoneName).toBe(local.AvailabilityZone);
  });
});

describe('EFS access points', () => {
  it('creates an access point with its POSIX user, root directory and tags, creating → available; deletes it once', async () => {
    const fileSystemId = await availableFileSystem('fp-ap');
    sim.setTiming({ efsAccessPointCreateMs: HELD });
    const created = await efs.send(new CreateAccessPointCommand({
      FileSystemId: fileSystemId,
      PosixUser: { Uid: 472, Gid: 0 },
      RootDirectory: { Path: '/grafana', CreationInfo: { OwnerUid: 472, OwnerGid: 0, Permissions: '755' } },
      Tags: [{ Key: 'fargate-prom:stack', Value: 's1' }],
    }));
    expect(created.LifeCycleState).toBe('creating');
    const read = async () => (await efs.send(new DescribeAccessPointsCommand({ AccessPointId: created.AccessPointId }))).AccessPoints![0];
    expect(await read()).toMatchObject({
      LifeCycleState: 'creating',
      FileSystemId: fileSystemId,
      PosixUser: { Uid: 472, Gid: 0 },
      RootDirectory: { Path: '/grafana', CreationInfo: { OwnerUid: 472, OwnerGid: 0, Permissions: '755' } },
      Tags: [{ Key: 'fargate-prom:stack', Value: 's1' }],
    });
    sim.setTiming({ efsAccessPointCreateMs: RELEASED });
    await eventually(async () => (await read()).LifeCycleState === 'available', 5_000, 'the access point to be available');

    await efs.send(new DeleteAccessPointCommand({ AccessPointId: created.AccessPointId }));
    expect((await motoEfs.send(new DescribeAccessPointsCommand({ FileSystemId: fileSystemId }))).AccessPoints).toEqual([]);
    await expectAwsError(efs.send(new DeleteAccessPointCommand({ AccessPointId: created.AccessPointId })), 'AccessPointNotFound');
  });

  it('refuses an access point on a file system that does not exist (FileSystemNotFound)', async () => {
    await expectAwsError(efs.send(new CreateAccessPointCommand({ FileSystemId: 'fs-0123456789abcdef0' })), 'FileSystemNotFound');
    expect((await motoEfs.send(new DescribeAccessPointsCommand({}))).AccessPoints).toEqual([]);
  });
});

describe('ECS task definitions with an EFS volume', () => {
  const register = (family: string, efsVolumeConfiguration: Volume['efsVolumeConfiguration']) =>
    c.ecs.send(new RegisterTaskDefinitionCommand({
      family,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      containerDefinitions: [{ name: 'grafana', image: 'grafana/grafana', mountPoints: [{ sourceVolume: 'data', containerPath: '/var/lib/grafana' }] }],
      volumes: [{ name: 'data', efsVolumeConfiguration }],
    }));

  it('needs transit encryption for IAM authorization and access points, and no other root directory with an access point', async () => {
    await expectAwsError(register('fp-iam', { fileSystemId: 'fs-1', authorizationConfig: { iam: 'ENABLED', accessPointId: 'fsap-1' } }), 'ClientException', /transitEncryption/);
    await expectAwsError(register('fp-ap', { fileSystemId: 'fs-1', transitEncryption: 'DISABLED', authorizationConfig: { accessPointId: 'fsap-1' } }), 'ClientException', /transitEncryption/);
    await expectAwsError(register('fp-root', { fileSystemId: 'fs-1', rootDirectory: '/grafana', transitEncryption: 'ENABLED', authorizationConfig: { accessPointId: 'fsap-1' } }), 'ClientException', /rootDirectory/);

    const good = { fileSystemId: 'fs-1', transitEncryption: 'ENABLED' as const, authorizationConfig: { accessPointId: 'fsap-1', iam: 'ENABLED' as const } };
    await register('fp-good', good);
    const kept = (await c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'fp-good' }))).taskDefinition!.volumes;
    expect(kept).toMatchObject([{ name: 'data', efsVolumeConfiguration: good }]);
    await expectAwsError(c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'fp-iam' })), 'ClientException');
  });
});
