import { describe, expect, it } from 'vitest';
import { decideRestart } from './restart-policy.js';

const row = (patch: Partial<Parameters<typeof decideRestart>[0]> = {}): Parameters<typeof decideRestart>[0] => ({
  restart_policy: 'on-failure',
  restart_max: 3,
  desired_state: 'running',
  deleting: 0,
  restart_generation: 0,
  boot_generation: 0,
  ...patch,
});

describe('decideRestart', () => {
  it('never restarts with policy no', () => {
    expect(decideRestart(row({ restart_policy: 'no' }), true, []).kind).toBe('stay-stopped');
  });

  it('on-failure restarts after failures only; always after any exit it was not asked for', () => {
    expect(decideRestart(row(), true, [])).toEqual({ kind: 'restart', delayMs: 1000, attempt: 1 });
    expect(decideRestart(row(), false, []).kind).toBe('stay-stopped');
    expect(decideRestart(row({ restart_policy: 'always' }), false, []).kind).toBe('restart');
  });

  it('doubles the delay for each recent restart, capped at a minute', () => {
    expect(decideRestart(row(), true, [1]).kind === 'restart' && decideRestart(row(), true, [1])).toMatchObject({ delayMs: 2000, attempt: 2 });
    const many = decideRestart(row({ restart_max: 50 }), true, Array.from({ length: 10 }, (_, i) => i));
    expect(many).toMatchObject({ kind: 'restart', delayMs: 60_000 });
  });

  it('gives up once the cap is reached within the window', () => {
    expect(decideRestart(row(), true, [1, 2, 3])).toEqual({ kind: 'give-up', restarts: 3 });
  });

  it('does not restart a VM that was asked to stop, is being deleted, or is restarting anyway', () => {
    expect(decideRestart(row({ desired_state: 'stopped' }), true, []).kind).toBe('stay-stopped');
    expect(decideRestart(row({ deleting: 1 }), true, []).kind).toBe('stay-stopped');
    expect(decideRestart(row({ restart_generation: 2, boot_generation: 1 }), true, []).kind).toBe('stay-stopped');
  });
});
