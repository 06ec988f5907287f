import { describe, expect, it } from 'vitest';
import { compareKernelVersions } from './kernel-version.js';

describe('compareKernelVersions', () => {
  it('orders numeric parts as numbers, not text', () => {
    const sorted = ['6.10.0-1-amd64', '6.1.0-56-amd64', '6.9.2-amd64', '6.1.0-9-amd64', '5.19.0-3-amd64'].sort(compareKernelVersions);
    expect(sorted).toEqual(['5.19.0-3-amd64', '6.1.0-9-amd64', '6.1.0-56-amd64', '6.9.2-amd64', '6.10.0-1-amd64']);
  });

  it('treats equal versions as equal and a longer version as newer', () => {
    expect(compareKernelVersions('6.1.0-56-amd64', '6.1.0-56-amd64')).toBe(0);
    expect(compareKernelVersions('6.1.0', '6.1')).toBeGreaterThan(0);
  });
});
