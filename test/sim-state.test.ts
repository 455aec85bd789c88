// The simulation's clock of phases (packages/aws-sim/src/state.ts), on a clock the test sets.
import { describe, expect, it } from 'vitest';
import { SimState } from '../packages/aws-sim/src/state.js';

class ClockedState extends SimState {
  at = 1_000;
  override now(): number {
    return this.at;
  }
}

describe('sim state: a change of timing', () => {
  it('leaves a phase that ended the same millisecond over, and stretches one still running', () => {
    const state = new ClockedState({ logGroupListingMs: 0, drainMs: 100 });
    const created = state.now();
    const draining = state.now() - 50;
    // Both are read at the moment the timing changes: the listing delay (0 ms) ended then, the drain has 50 ms to go.
    state.setTiming({ logGroupListingMs: 60_000, drainMs: 1_000 });
    expect(state.isOver(created, 'logGroupListingMs')).toBe(true);
    expect(state.phaseEnd(draining, 'drainMs')).toBe(draining + 1_000);
    // A phase that starts after the change takes the new duration.
    state.at += 1;
    expect(state.phaseEnd(state.now(), 'logGroupListingMs')).toBe(state.now() + 60_000);
  });
});
