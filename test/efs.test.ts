import { describe, expect, it } from 'vitest';
import { DescribeSecurityGroupsCommand, DescribeSubnetsCommand } from '@aws-sdk/client-ec2';
import { DescribeAccessPointsCommand, DescribeFileSystemsCommand, DescribeMountTargetsCommand, DescribeMountTargetSecurityGroupsCommand } from '@aws-sdk/client-efs';
import { DescribeClustersCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { GetRoleCommand, GetRolePolicyCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import type { SimCall } from '@fargate-prom/aws-sim/testing';
import type { CliRun } from './support/cli.js';
import { withStack } from './support/stack.js';

// Grafana's data directory on EFS (issue 12): what up creates, read back from moto; re-runs, opt-out,
// bad input, kill-and-resume and destroy.

const STACK = 'efs';
const TAG = { Key: 'fargate-prom:stack', Value: STACK };
const IMAGE = 'public.ecr.aws/docker/library/node:20-alpine';

const stack = withStack({ name: STACK, args: ['--app-image', IMAGE, '--yes', '--json'] });
const up = (name: string, ...extra: string[]) => stack.cli(['up', '--name', name, '--app-image', IMAGE, '--yes', '--json', ...extra]);
const destroy = (name: string) => stack.cli(['destroy', '--name', name, '--yes', '--json']);
const ok = (run: CliRun) => {
  expect(run.code, run.stderr.slice(-3000)).toBe(0);
  return run.json();
};

/** Everything EFS-related that moto holds for a stack: file systems by token, their mount targets and access points, the EFS group. */
async function readEfs(name: string) {
  const fileSystems = (await stack.moto.efs.send(new DescribeFileSystemsCommand({ CreationToken: `${name}-grafana` }))).FileSystems ?? [];
  const mountTargets = (await Promise.all(fileSystems.map((f) => stack.moto.efs.send(new DescribeMountTargetsCommand({ FileSystemId: f.FileSystemId }))))).flatMap((o) => o.MountTargets ?? []);
  const accessPoints = (await Promise.all(fileSystems.map((f) => stack.moto.efs.send(new DescribeAccessPointsCommand({ FileSystemId: f.FileSystemId }))))).flatMap((o) => o.AccessPoints ?? []);
  const groups = (await stack.moto.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [`${name}-efs`] }] }))).SecurityGroups ?? [];
  return { fileSystems, mountTargets, accessPoints, groups };
}

/** What moto holds of a stack beyond EFS: its tagged security groups, its cluster's status, its execution role (or why not). */
async function stackInMoto(name: string) {
  const groups = (await stack.moto.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:fargate-prom:stack', Values: [name] }] }))).SecurityGroups ?? [];
  const cluster = (await stack.moto.ecs.send(new DescribeClustersCommand({ clusters: [name] }))).clusters?.[0]?.status;
  const role = await stack.moto.iam.send(new GetRoleCommand({ RoleName: `${name}-execution` })).then((r) => r.Role?.RoleName, (err) => err.name);
  return { efs: await readEfs(name), groups: groups.map((g) => g.GroupName), cluster, role };
}

/** The subnets Grafana's tasks run in (one per zone): where the mount targets belong. */
async function taskSubnets(name: string): Promise<string[]> {
  const out = await stack.moto.ecs.send(new DescribeServicesCommand({ cluster: name, services: [`${name}-grafana`] }));
  return [...out.services![0].networkConfiguration!.awsvpcConfiguration!.subnets!].sort();
}

async function grafanaTaskDefinition(name: string) {
  return (await stack.moto.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${name}-grafana` }))).taskDefinition!;
}

describe('Grafana on EFS', () => {
  it('up creates an encrypted, tagged file system, a mount target per zone behind an NFS-only group, and an access point for uid 472', async () => {
    const efs = await readEfs(STACK);
    expect(efs.fileSystems).toHaveLength(1);
    const [fs] = efs.fileSystems;
    expect(fs.Encrypted).toBe(true);
    expect(fs.Tags).toEqual(expect.arrayContaining([TAG, { Key: 'Name', Value: `${STACK}-grafana` }]));

    const subnetIds = await taskSubnets(STACK);
    expect(subnetIds.length).toBeGreaterThanOrEqual(2);
    expect(efs.mountTargets.map((m) => m.SubnetId).sort()).toEqual(subnetIds);
    expect(new Set(efs.mountTargets.map((m) => m.AvailabilityZoneName)).size).toBe(efs.mountTargets.length);

    expect(efs.groups).toHaveLength(1);
    const [group] = efs.groups;
    expect(group.Tags).toEqual(expect.arrayContaining([TAG]));
    const tasks = (await stack.moto.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [`${STACK}-tasks`] }] }))).SecurityGroups![0];
    expect(group.IpPermissions!.map((p) => [p.IpProtocol, p.FromPort, p.ToPort, p.UserIdGroupPairs!.map((g) => g.GroupId), p.IpRanges ?? []]))
      .toEqual([['tcp', 2049, 2049, [tasks.GroupId], []]]);
    for (const m of efs.mountTargets) {
      const sgs = await stack.moto.efs.send(new DescribeMountTargetSecurityGroupsCommand({ MountTargetId: m.MountTargetId }));
      expect(sgs.SecurityGroups).toEqual([group.GroupId]);
    }

    expect(efs.accessPoints).toHaveLength(1);
    const [ap] = efs.accessPoints;
    expect(ap.PosixUser).toMatchObject({ Uid: 472, Gid: 472 });
    expect(ap.RootDirectory).toMatchObject({ Path: '/grafana', CreationInfo: { OwnerUid: 472, OwnerGid: 472, Permissions: '750' } });
    expect(ap.Tags).toEqual(expect.arrayContaining([TAG]));

    const td = await grafanaTaskDefinition(STACK);
    expect(td.volumes).toEqual([expect.objectContaining({
      name: 'grafana-data',
      efsVolumeConfiguration: expect.objectContaining({
        fileSystemId: fs.FileSystemId,
        transitEncryption: 'ENABLED',
        authorizationConfig: expect.objectContaining({ accessPointId: ap.AccessPointId, iam: 'ENABLED' }),
      }),
    })]);
    expect(td.containerDefinitions![0].mountPoints).toEqual([expect.objectContaining({ sourceVolume: 'grafana-data', containerPath: '/var/lib/grafana' })]);

    const doc = await stack.moto.iam.send(new GetRolePolicyCommand({ RoleName: `${STACK}-grafana-task`, PolicyName: 'efs-grafana-data' }));
    expect(JSON.parse(decodeURIComponent(doc.PolicyDocument!)).Statement).toEqual([{
      Effect: 'Allow',
      Action: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
      Resource: fs.FileSystemArn,
      Condition: { StringEquals: { 'elasticfilesystem:AccessPointArn': ap.AccessPointArn } },
    }]);
  });

  it('a second up makes no mutating call (and one read of the zones, for EFS)', async () => {
    stack.sim.clearCalls();
    const out = ok(await up(STACK));
    expect(out.resources.filter((r: any) => r.action !== 'unchanged')).toEqual([]);
    expect(stack.sim.calls().filter((c) => c.mutating)).toEqual([]);
    expect(stack.sim.calls().filter((c) => c.action === 'DescribeAvailabilityZones')).toHaveLength(1);
  });

  it('status shows the file system and each mount target with its state', async () => {
    const out = stack.cli(['status', '--name', STACK, '--json']);
    const resources = (await out).json().resources as { kind: string; state: string; healthy: boolean }[];
    const fs = resources.find((r) => r.kind === 'efs-file-system');
    const mts = resources.find((r) => r.kind === 'efs-mount-targets');
    expect(fs).toMatchObject({ state: 'available', healthy: true });
    expect(mts).toMatchObject({ healthy: true });
    expect(mts!.state.match(/fsmt-[0-9a-f]+ \([^)]+\) available/g)).toHaveLength((await readEfs(STACK)).mountTargets.length);
  });

  it('a bad --grafana-storage is exit 2, one line naming the flag, before any AWS call', async () => {
    stack.sim.clearCalls();
    const run = await up('bad-storage', '--grafana-storage', 'nfs');
    expect(run.code).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain('--grafana-storage');
    expect(stack.sim.calls()).toEqual([]);
  });

  it('--grafana-storage ephemeral makes no EFS resources and no volume; destroy then finds none', async () => {
    ok(await up('eph', '--grafana-storage', 'ephemeral'));
    const efs = await readEfs('eph');
    expect([efs.fileSystems, efs.groups]).toEqual([[], []]);
    const td = await grafanaTaskDefinition('eph');
    expect(td.volumes ?? []).toEqual([]);
    expect(td.containerDefinitions![0].mountPoints ?? []).toEqual([]);
    const policies = await stack.moto.iam.send(new ListRolePoliciesCommand({ RoleName: 'eph-grafana-task' }));
    expect(policies.PolicyNames).toEqual(['amp-query']);
    ok(await destroy('eph'));
  });

  it('switching to ephemeral keeps the file system (with a warning saying so), and destroy deletes it', async () => {
    ok(await up('switch'));
    const before = await readEfs('switch');
    expect(before.fileSystems).toHaveLength(1);
    const run = await up('switch', '--grafana-storage', 'ephemeral');
    ok(run);
    expect(run.stderr).toContain(`keeps it, its mount targets and access point`);
    const after = await readEfs('switch');
    expect(after.fileSystems.map((f) => f.FileSystemId)).toEqual(before.fileSystems.map((f) => f.FileSystemId));
    expect((await grafanaTaskDefinition('switch')).volumes ?? []).toEqual([]);
    ok(await destroy('switch'));
    const gone = await readEfs('switch');
    expect(gone).toEqual({ fileSystems: [], mountTargets: [], accessPoints: [], groups: [] });
  });

  it('killed while creating the EFS resources, the next up finishes and destroy leaves nothing', async () => {
    const name = 'efs-kill';
    let timer: NodeJS.Timeout | undefined;
    stack.sim.clearCalls();
    // Killed at its second mutating EFS call (the file system exists; the access point or mount targets are under way).
    const killed = await stack.cli(['up', '--name', name, '--app-image', IMAGE, '--yes', '--json'], undefined, {
      onSpawn: (pid) => {
        timer = setInterval(() => {
          if (stack.sim.calls().filter((c) => c.mutating && c.service === 'elasticfilesystem').length < 2) return;
          clearInterval(timer);
          try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
        }, 2);
      },
    }).finally(() => clearInterval(timer));
    expect(killed.signal).toBe('SIGKILL');
    ok(await up(name));
    const efs = await readEfs(name);
    expect(efs.fileSystems).toHaveLength(1);
    expect(efs.accessPoints).toHaveLength(1);
    expect(efs.mountTargets.map((m) => m.SubnetId).sort()).toEqual(await taskSubnets(name));
    stack.sim.clearCalls();
    ok(await up(name));
    expect(stack.sim.calls().filter((c) => c.mutating)).toEqual([]);
    ok(await destroy(name));
    expect(await readEfs(name)).toEqual({ fileSystems: [], mountTargets: [], accessPoints: [], groups: [] });
  });

  it('a mount target stuck in creating is exit 1 naming it, after the other changes; the next up finishes', async () => {
    const name = 'efs-stuck';
    // Far past the CLI's bound (10 minutes, scaled down like every wait in the tests).
    stack.sim.setTiming({ efsMountTargetCreateMs: 3_600_000 });
    let stuck: CliRun;
    try {
      stuck = await up(name);
    } finally {
      stack.sim.setTiming({ efsMountTargetCreateMs: 50 });
    }
    expect(stuck.code, stuck.stderr.slice(-2000)).toBe(1);
    expect(stuck.stderr).toMatch(/EFS mount targets[^\n]*fsmt-[0-9a-f]+[^\n]*creating/);
    // The other changes were applied: the app's service runs; Grafana's waits for the mount targets.
    const app = await stack.moto.ecs.send(new DescribeServicesCommand({ cluster: name, services: [`${name}-app`, `${name}-grafana`] }));
    expect(app.services!.filter((x) => x.status === 'ACTIVE').map((x) => x.serviceName)).toEqual([`${name}-app`]);
    const resumed = ok(await up(name));
    expect(resumed.resources.find((r: any) => r.kind === 'efs-mount-targets').action).toBe('unchanged');
    expect(resumed.resources.find((r: any) => r.kind === 'ecs-service' && r.name === `${name}-grafana`).action).toBe('create');
    ok(await destroy(name));
    expect(await readEfs(name)).toEqual({ fileSystems: [], mountTargets: [], accessPoints: [], groups: [] });
  });

  it('a zone without EFS stops up with exit 1 naming the subnet (AWS lists no such zones to check first); once it does, the next up finishes', async () => {
    const name = 'efs-az';
    const subnets = (await stack.moto.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }))).Subnets!;
    for (const s of subnets) stack.sim.setEfsUnsupported(s.SubnetId!, true);
    let run: CliRun;
    try {
      run = await up(name);
    } finally {
      for (const s of subnets) stack.sim.setEfsUnsupported(s.SubnetId!, false);
    }
    expect(run.code, run.stderr.slice(-2000)).toBe(1);
    expect(run.stderr).toMatch(/mount target in subnet subnet-[0-9a-f]+: its availability zone does not offer EFS; pass --subnet-ids from other zones, or --grafana-storage ephemeral/);
    expect((await readEfs(name)).mountTargets).toEqual([]);
    ok(await up(name));
    expect((await readEfs(name)).mountTargets.map((m) => m.SubnetId).sort()).toEqual(await taskSubnets(name));
    ok(await destroy(name));
  });

  it('a subnet in a Local Zone is exit 2 naming --subnet-ids, the subnet and the zone, before any change; ephemeral storage takes it', async () => {
    const name = 'efs-local-zone';
    const subnets = (await stack.moto.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'default-for-az', Values: ['true'] }] }))).Subnets!;
    const local = [...subnets].sort((a, b) => a.SubnetId!.localeCompare(b.SubnetId!))[0];
    stack.sim.setZoneType(local.AvailabilityZone!, 'local-zone');
    let refused: CliRun, refusedCalls: SimCall[], leftByRefused: unknown, ephemeral: CliRun, ephemeralCalls: SimCall[];
    try {
      stack.sim.clearCalls();
      refused = await up(name);
      refusedCalls = stack.sim.calls();
      leftByRefused = await stackInMoto(name);
      stack.sim.clearCalls();
      ephemeral = await up(name, '--grafana-storage', 'ephemeral');
      ephemeralCalls = stack.sim.calls();
    } finally {
      stack.sim.setZoneType(local.AvailabilityZone!, 'availability-zone');
    }
    expect(refused.code, refused.stderr.slice(-2000)).toBe(2);
    expect(refused.stdout).toBe('');
    const lines = refused.stderr.trim().split('\n');
    const errors = lines.filter((l) => l.startsWith('error:'));
    expect(errors).toEqual([lines[lines.length - 1]]);
    expect(errors[0]).toMatch(/^error: --subnet-ids: /);
    expect(errors[0]).toContain(`${local.SubnetId} (${local.AvailabilityZone}, a local-zone)`);
    expect(errors[0]).toContain('--grafana-storage ephemeral');
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    expect(refusedCalls.filter((c) => c.action === 'DescribeAvailabilityZones')).toHaveLength(1);
    expect(refusedCalls.filter((c) => c.mutating)).toEqual([]);
    expect(leftByRefused).toEqual({ efs: { fileSystems: [], mountTargets: [], accessPoints: [], groups: [] }, groups: [], cluster: undefined, role: 'NoSuchEntityException' });

    // No EFS, no mount target: the zone's type does not matter, and is not asked.
    ok(ephemeral);
    expect(ephemeralCalls.filter((c) => c.action === 'DescribeAvailabilityZones')).toEqual([]);
    const created = await stackInMoto(name);
    expect(created.efs.fileSystems).toEqual([]);
    expect(created.cluster).toBe('ACTIVE');
    ok(await destroy(name));
  });

  it('destroy leaves no file system, mount target, access point or security group', async () => {
    const out = ok(await destroy(STACK));
    expect(out.leftovers).toEqual([]);
    expect(await readEfs(STACK)).toEqual({ fileSystems: [], mountTargets: [], accessPoints: [], groups: [] });
  });
});
