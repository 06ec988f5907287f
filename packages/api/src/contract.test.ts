import { describe, expect, it } from 'vitest';
import { errorCatalogue, errorCodes, HerdError } from './errors.js';
import { nameProblem } from './names.js';
import { buildOpenApi } from './openapi.js';
import { routes } from './routes.js';
import { formatSize, parseSize } from './sizes.js';
import { allowedActions, isActionAllowed, vmStates } from './vm-states.js';

describe('the contract', () => {
  it('the OpenAPI document has every route, and lists every error code with its status', () => {
    const doc = buildOpenApi('test') as { paths: Record<string, Record<string, { operationId: string }>>; 'x-error-codes': Record<string, number> };
    const ids = Object.values(doc.paths).flatMap((m) => Object.values(m).map((o) => o.operationId));
    expect(ids.sort()).toEqual(Object.keys(routes).sort());
    expect(doc['x-error-codes']).toEqual(Object.fromEntries(errorCodes.map((c) => [c, errorCatalogue[c].status])));
  });

  it('every error message is a sentence built from its details', () => {
    for (const code of errorCodes) {
      const e = new HerdError(code, { name: 'x', reason: 'the disk is missing', kind: 'vm', action: 'start', state: 'running' });
      expect(e.message.length, code).toBeGreaterThan(5);
      expect(e.toBody().error.code).toBe(code);
      expect(e.status).toBeGreaterThanOrEqual(400);
    }
  });

  it('every state allows delete, and start only where nothing runs', () => {
    for (const s of vmStates) expect(isActionAllowed(s, 'delete')).toBe(true);
    expect(vmStates.filter((s) => isActionAllowed(s, 'start'))).toEqual(['stopped', 'error']);
    expect(allowedActions('running')).toEqual(['stop', 'restart', 'pause', 'delete']);
  });

  it('names are DNS labels', () => {
    expect(nameProblem('web-1')).toBeUndefined();
    expect(nameProblem('Web')).toMatch(/DNS label/);
    expect(nameProblem('-a')).toMatch(/DNS label/);
    expect(nameProblem('a-')).toMatch(/DNS label/);
    expect(nameProblem('')).toMatch(/empty/);
    expect(nameProblem('a'.repeat(64))).toMatch(/at most 63/);
  });

  it('sizes parse with binary units and print back', () => {
    expect(parseSize('256M')).toBe(256 * 1024 ** 2);
    expect(parseSize('1G')).toBe(1024 ** 3);
    expect(parseSize('512', 'm')).toBe(512 * 1024 ** 2);
    expect(parseSize('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(() => parseSize('lots')).toThrow(/not a size/);
    expect(formatSize(1536 * 1024 ** 2)).toBe('1.5 GiB');
  });
});
