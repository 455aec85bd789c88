import { freeLoopbackPort } from '@fargate-prom/aws-sim/util/ports';

/**
 * A loopback port nothing listens on: bound on port 0 (the OS picks a free one), then closed, so a
 * connection to it is refused. Tests use it instead of a fixed port, which may be in use.
 */
export function freeClosedPort(): Promise<number> {
  return freeLoopbackPort();
}
