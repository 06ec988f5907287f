import { describe, expect, it } from 'vitest';
import { sampleSnapshot } from '../test-support/fixtures.js';
import { snapshotTable, snapshotTree } from './snapshot.js';

const snap = (name: string, parent: string | null, extra = {}) => sampleSnapshot({ name, parent, ...extra });

describe('snapshotTree', () => {
  it('draws children under their parents, depth first, siblings oldest first', () => {
    const tree = snapshotTree([snap('base', null), snap('a', 'base'), snap('b', 'base'), snap('a1', 'a'), snap('other', null)]);
    expect(tree.map((r) => `${r.prefix}${r.snapshot.name}`)).toEqual(['base', '├─ a', '│  └─ a1', '└─ b', 'other']);
  });

  it('keeps snapshots whose parent is gone, or that form a cycle, as roots', () => {
    const tree = snapshotTree([snap('orphan', 'deleted'), snap('x', 'y'), snap('y', 'x')]);
    expect(tree.map((r) => r.snapshot.name).sort()).toEqual(['orphan', 'x', 'y']);
    expect(tree[0]?.prefix).toBe('');
  });
});

describe('snapshotTable', () => {
  it('marks the current snapshot and lines up the columns', () => {
    const out = snapshotTable(
      [
        snap('base', null, { description: 'fresh install' }),
        snap('upgraded', 'base', { current: true, withMemory: true, vmState: 'running' }),
      ],
      false,
    );
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+MEMORY\s+VM-STATE\s+CREATED\s+DESCRIPTION$/);
    expect(lines[1]).toMatch(/^ {2}base\s+no\s+stopped\s+\d+d\s+fresh install$/);
    expect(lines[2]).toMatch(/^\* └─ upgraded\s+yes\s+running\s+\d+d\s+-$/);
  });
});
