import { describe, expect, it } from 'vitest';
import { refusedStackName } from '../src/stack/name-rules.js';
import { stackNames } from '../src/stack/spec.js';

describe('names AWS refuses, derived from --name', () => {
  it('--name\'s own rule (1–20 of a-z0-9-) keeps every derived name within AWS\'s lengths and characters', () => {
    // The longest names --name allows, and ones full of hyphens.
    for (const stack of ['a'.repeat(20), `a${'-b'.repeat(9)}c`, 'z9-9-9-9-9-9-9-9-9-9']) {
      expect(stack).toMatch(/^[a-z](?:[a-z0-9-]{0,18}[a-z0-9])?$/);
      expect(refusedStackName(stack)).toBeUndefined();
      const n = stackNames(stack);
      expect(n.loadBalancer.length).toBeLessThanOrEqual(32);
      expect(Math.max(n.appTargetGroup.length, n.grafanaTargetGroup.length)).toBeLessThanOrEqual(32);
      expect(n.grafanaTaskRole.length).toBeLessThanOrEqual(64);
    }
  });

  it.each([
    ['sg', /^security group names cannot start with "sg-" \(this stack's would be sg-alb\)$/],
    ['sg-shop', /^security group names cannot start with "sg-" \(this stack's would be sg-shop-alb\)$/],
    ['internal', /^load balancer names cannot start with "internal-" \(this stack's would be internal-alb\)$/],
    ['internal-shop', /^load balancer names cannot start with "internal-" \(this stack's would be internal-shop-alb\)$/],
  ])('refuses --name %s', (stack, problem) => {
    expect(refusedStackName(stack)).toMatch(problem);
  });

  it.each(['sgshop', 'shop-sg', 'internalshop', 'shop-internal', 'sg1'])('accepts --name %s', (stack) => {
    expect(refusedStackName(stack)).toBeUndefined();
  });

  it('the length and character rules still apply beyond what --name lets through', () => {
    expect(refusedStackName('a'.repeat(40))).toMatch(/^load balancer names are at most 32 characters/);
    expect(refusedStackName('shop_app')).toMatch(/^load balancer names may contain only letters, digits and hyphens/);
  });
});
