import { HerdError } from '@herd/api';
import { describe, expect, it } from 'vitest';
import { errorFromClose } from './upgrade-errors.js';

describe('errorFromClose', () => {
  it('reads 4000 + HTTP status as the matching API error, with the reason as its message', () => {
    const e = errorFromClose(4404, "vm 'x' does not exist");
    expect(e).toBeInstanceOf(HerdError);
    expect([e?.code, e?.status, e?.message]).toEqual(['not_found', 404, "vm 'x' does not exist"]);
    expect(errorFromClose(4409, 'busy')?.status).toBe(409);
    expect(errorFromClose(4500, '')?.message).toBe('the daemon closed the console with code 4500');
  });

  it('leaves ordinary closes alone', () => {
    expect(errorFromClose(1000, '')).toBeUndefined();
    expect(errorFromClose(1006, '')).toBeUndefined();
  });
});
