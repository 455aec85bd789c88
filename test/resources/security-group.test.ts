import { afterEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupRulesCommand,
  EC2Client,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import type { SecurityGroupState } from '../../src/resources/security-group.js';
import { stackResources } from '../../src/stack/resources.js';
import { awsError, inputsOf, NETWORK, resourceContext } from '../support/resource-context.js';

// diff and update of the stack's two security groups against a mocked EC2: only the ingress rules the
// options ask for, added by value and revoked by rule id, egress never touched.
const ec2 = mockClient(EC2Client);
afterEach(() => ec2.reset());

const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';
const group = (ingress: string[], groupId = 'sg-0a1b'): SecurityGroupState => ({ groupId, vpcId: NETWORK.vpcId, ingress });

describe('load balancer security group', () => {
  it('unchanged: no difference, and update sends nothing', async () => {
    const ctx = resourceContext();
    const sg = stackResources(ctx.spec).albSecurityGroup;
    const state = group(['tcp:80:cidr:0.0.0.0/0']);
    expect(await sg.diff(ctx, state)).toEqual([]);
    expect(await sg.update(ctx, state, [])).toEqual(state);
    expect(ec2.calls()).toHaveLength(0);
  });

  it('a narrower --allow-cidr with HTTPS, and a hand-added SSH rule: adds 80/443 from the CIDR, revokes the old rules by id', async () => {
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({});
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({
      SecurityGroupRules: [
        // An egress rule with the same port and CIDR as an unwanted ingress one: not ingress, so kept.
        { SecurityGroupRuleId: 'sgr-egress', IsEgress: true, IpProtocol: 'tcp', FromPort: 80, ToPort: 80, CidrIpv4: '0.0.0.0/0' },
        { SecurityGroupRuleId: 'sgr-http-world', IsEgress: false, IpProtocol: 'tcp', FromPort: 80, ToPort: 80, CidrIpv4: '0.0.0.0/0' },
        { SecurityGroupRuleId: 'sgr-ssh', IsEgress: false, IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '0.0.0.0/0' },
      ],
    });
    const ctx = resourceContext({ allowCidr: '203.0.113.0/24', certificateArn: CERT });
    const sg = stackResources(ctx.spec).albSecurityGroup;
    const drifted = group(['tcp:22:cidr:0.0.0.0/0', 'tcp:80:cidr:0.0.0.0/0']);

    expect(await sg.diff(ctx, drifted)).toEqual([
      'add ingress tcp:443:cidr:203.0.113.0/24',
      'add ingress tcp:80:cidr:203.0.113.0/24',
      'remove ingress tcp:22:cidr:0.0.0.0/0',
      'remove ingress tcp:80:cidr:0.0.0.0/0',
    ]);
    const after = await sg.update(ctx, drifted, []);
    expect(inputsOf(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand))).toEqual([{
      GroupId: 'sg-0a1b',
      IpPermissions: [
        { IpProtocol: 'tcp', FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: '203.0.113.0/24' }] },
        { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '203.0.113.0/24' }] },
      ],
    }]);
    expect(inputsOf(ec2.commandCalls(DescribeSecurityGroupRulesCommand))).toEqual([{ Filters: [{ Name: 'group-id', Values: ['sg-0a1b'] }] }]);
    // Egress rules are left alone.
    expect(inputsOf(ec2.commandCalls(RevokeSecurityGroupIngressCommand))).toEqual([{ GroupId: 'sg-0a1b', SecurityGroupRuleIds: ['sgr-http-world', 'sgr-ssh'] }]);
    expect(after).toEqual(group(['tcp:443:cidr:203.0.113.0/24', 'tcp:80:cidr:203.0.113.0/24']));
  });

  it('rules a retried call already added (InvalidPermission.Duplicate) count as done; any other refusal fails the update', async () => {
    ec2.on(AuthorizeSecurityGroupIngressCommand).rejects(awsError('InvalidPermission.Duplicate', 'the specified rule "peer: 0.0.0.0/0, TCP, from port: 80, to port: 80, ALLOW" already exists'));
    const ctx = resourceContext();
    const sg = stackResources(ctx.spec).albSecurityGroup;
    expect(await sg.update(ctx, group([]), [])).toEqual(group(['tcp:80:cidr:0.0.0.0/0']));
    expect(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand)).toHaveLength(1);

    ec2.reset();
    ec2.on(AuthorizeSecurityGroupIngressCommand).rejects(awsError('RulesPerSecurityGroupLimitExceeded', 'The maximum number of rules per security group has been reached.'));
    await expect(sg.update(ctx, group([]), [])).rejects.toThrow('The maximum number of rules per security group has been reached.');
  });

  // diff keys a rule that is not single-port TCP `tcp:22-25:other`; update must key the rules it may
  // revoke the same way, or the drift is reported again on every up.
  it('a hand-added port-range rule: update revokes it', async () => {
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({
      SecurityGroupRules: [{ SecurityGroupRuleId: 'sgr-range', IsEgress: false, IpProtocol: 'tcp', FromPort: 22, ToPort: 25, CidrIpv4: '0.0.0.0/0' }],
    });
    ec2.on(RevokeSecurityGroupIngressCommand).resolves({});
    const ctx = resourceContext();
    const sg = stackResources(ctx.spec).albSecurityGroup;
    const drifted = group(['tcp:22-25:other', 'tcp:80:cidr:0.0.0.0/0']);
    expect(await sg.diff(ctx, drifted)).toEqual(['remove ingress tcp:22-25:other']);
    await sg.update(ctx, drifted, []);
    expect(inputsOf(ec2.commandCalls(RevokeSecurityGroupIngressCommand))).toEqual([{ GroupId: 'sg-0a1b', SecurityGroupRuleIds: ['sgr-range'] }]);
  });

  it('another VPC: diff lists it, update refuses with the fix and calls nothing', async () => {
    const ctx = resourceContext();
    const sg = stackResources(ctx.spec).albSecurityGroup;
    const elsewhere = { ...group(['tcp:80:cidr:0.0.0.0/0']), vpcId: 'vpc-22222222' };
    expect(await sg.diff(ctx, elsewhere)).toEqual([`vpc: vpc-22222222 → ${NETWORK.vpcId}`]);
    await expect(sg.update(ctx, elsewhere, [])).rejects.toThrow(`security group unit-alb is in vpc-22222222, not ${NETWORK.vpcId}; a stack cannot move VPCs — run destroy first`);
    expect(ec2.calls()).toHaveLength(0);
  });
});

describe('tasks security group', () => {
  /** The tasks group, with the load balancer's group as up has it (its state is what the rules name). */
  const tasksGroup = (flags = {}) => {
    const ctx = resourceContext(flags);
    const stack = stackResources(ctx.spec);
    ctx.states.set(stack.albSecurityGroup, group(['tcp:80:cidr:0.0.0.0/0'], 'sg-alb'));
    return { ctx, sg: stack.tasksSecurityGroup };
  };

  it('unchanged: the app port and Grafana from the load balancer group only; update sends nothing', async () => {
    const { ctx, sg } = tasksGroup({ appPort: '8080' });
    const state = group(['tcp:3000:sg:sg-alb', 'tcp:8080:sg:sg-alb'], 'sg-tasks');
    expect(await sg.diff(ctx, state)).toEqual([]);
    await sg.update(ctx, state, []);
    expect(ec2.calls()).toHaveLength(0);
  });

  it('a new --app-port: authorizes it from the load balancer group and revokes the old port\'s rule only', async () => {
    ec2.on(AuthorizeSecurityGroupIngressCommand).resolves({});
    ec2.on(DescribeSecurityGroupRulesCommand).resolves({
      SecurityGroupRules: [
        { SecurityGroupRuleId: 'sgr-grafana', IsEgress: false, IpProtocol: 'tcp', FromPort: 3000, ToPort: 3000, ReferencedGroupInfo: { GroupId: 'sg-alb' } },
        { SecurityGroupRuleId: 'sgr-old-app', IsEgress: false, IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, ReferencedGroupInfo: { GroupId: 'sg-alb' } },
      ],
    });
    const { ctx, sg } = tasksGroup({ appPort: '9000' });
    const before = group(['tcp:3000:sg:sg-alb', 'tcp:8080:sg:sg-alb'], 'sg-tasks');
    expect(await sg.diff(ctx, before)).toEqual(['add ingress tcp:9000:sg:sg-alb', 'remove ingress tcp:8080:sg:sg-alb']);
    const after = await sg.update(ctx, before, []);
    expect(inputsOf(ec2.commandCalls(AuthorizeSecurityGroupIngressCommand))).toEqual([{
      GroupId: 'sg-tasks',
      IpPermissions: [{ IpProtocol: 'tcp', FromPort: 9000, ToPort: 9000, UserIdGroupPairs: [{ GroupId: 'sg-alb' }] }],
    }]);
    expect(inputsOf(ec2.commandCalls(RevokeSecurityGroupIngressCommand))).toEqual([{ GroupId: 'sg-tasks', SecurityGroupRuleIds: ['sgr-old-app'] }]);
    expect(after.ingress).toEqual(['tcp:3000:sg:sg-alb', 'tcp:9000:sg:sg-alb']);
  });
});
