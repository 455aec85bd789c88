import type { RuleBook } from '../rule.js';
import { ampRules } from './amp.js';
import { defaultVpcGateway, ec2Rules } from './ec2.js';
import { ecsRules } from './ecs-services.js';
import { efsRules } from './efs.js';
import { elbv2Rules } from './elbv2.js';
import { iamRules, roleNotYetVisible } from './iam.js';
import { logsRules } from './logs.js';
import { secretsManagerRules } from './secretsmanager.js';
import { route53Rules } from './route53.js';

/** Every rule, keyed by the SigV4 service name in the credential scope. */
export const allRules: RuleBook = {
  aps: { actions: ampRules },
  ec2: { before: defaultVpcGateway, actions: ec2Rules },
  ecs: { actions: ecsRules },
  elasticfilesystem: { actions: efsRules },
  elasticloadbalancing: { before: defaultVpcGateway, actions: elbv2Rules },
  iam: { before: roleNotYetVisible, actions: iamRules },
  logs: { actions: logsRules },
  secretsmanager: { actions: secretsManagerRules },
  route53: { actions: route53Rules },
};
