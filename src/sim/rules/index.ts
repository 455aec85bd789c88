import type { RuleBook } from '../rule.js';
import { ampRules } from './amp.js';
import { ec2Rules } from './ec2.js';
import { ecsRules } from './ecs-services.js';
import { elbv2Rules } from './elbv2.js';
import { iamRules } from './iam.js';
import { logsRules } from './logs.js';

/** Every rule, keyed by the SigV4 service name in the credential scope. */
export const allRules: RuleBook = {
  aps: ampRules,
  ec2: ec2Rules,
  ecs: ecsRules,
  elasticloadbalancing: elbv2Rules,
  iam: iamRules,
  logs: logsRules,
};
