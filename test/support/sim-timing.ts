import type { SimTiming } from '@fargate-prom/aws-sim/testing';

/** Short phases so transitions are observable quickly; tests that must see a phase stretch it with setTiming. */
export const FAST: SimTiming = {
  serviceStartMs: 500,
  targetHealthyMs: 300,
  albProvisionMs: 300,
  ampCreateMs: 300,
  ampDeleteMs: 300,
  roleWarmupMs: 300,
  drainMs: 300,
  eniLingerMs: 400,
  secretDeletionMs: 200,
  iamPropagationMs: 0,
  logGroupListingMs: 0,
  efsFileSystemCreateMs: 300,
  efsMountTargetCreateMs: 300,
  efsMountTargetDeleteMs: 300,
  efsAccessPointCreateMs: 200,
};
export const LONG = 60_000;

let counter = 0;
/** A fresh resource name, so tests sharing one moto do not collide. */
export const unique = (prefix: string) => `${prefix}-${++counter}`;
