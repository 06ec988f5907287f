import { describe, expect, it } from 'vitest';
import { bridgeName, checkLinkName, hostBridgeNameProblem, linkNameProblem, tapName, vxlanName } from './link-names.js';

const netId = '1a2b3c4d-5e6f-4a0b-8c1d-2e3f4a5b6c7d';
const nicId = 'ABCDEF01-2345-4678-9abc-def012345678';

describe('link names', () => {
  it('derives bridge and tap names from ids, within 15 bytes, the same every time', () => {
    expect(bridgeName(netId)).toBe('hb-1a2b3c4d');
    expect(tapName(nicId)).toBe('ht-abcdef0123');
    expect(tapName(nicId)).toBe(tapName(nicId.toLowerCase()));
    expect(vxlanName(netId)).toBe('hx-1a2b3c4d');
    for (const n of [bridgeName(netId), tapName(nicId), vxlanName(netId)]) expect(linkNameProblem(n)).toBeUndefined();
  });

  it('refuses ids whose leading digits are not random', () => {
    expect(() => bridgeName('net1')).toThrow(/not a random \(version 4\) UUID/);
    // A version 7 UUID starts with a timestamp: networks made in the same minute would share a bridge.
    expect(() => bridgeName('01890a5d-ac96-774b-bcce-b302099a8057')).toThrow(RangeError);
  });

  it('accepts what Linux and herd accept', () => {
    for (const n of ['br0', 'vmbr0', 'virbr0-nic', 'a', 'x'.repeat(15), 'br_lan.10']) expect(linkNameProblem(n)).toBeUndefined();
    expect(checkLinkName('br0')).toBe('br0');
  });

  it('rejects what Linux rejects and what would be unsafe in rulesets, saying why', () => {
    const bad: [string, RegExp][] = [
      ['', /empty/],
      ['x'.repeat(16), /16 bytes long; Linux allows at most 15/],
      ['br 0', /letters, digits/],
      ['br"0', /letters, digits/],
      ['br/0', /letters, digits/],
      ['br,0', /letters, digits/],
      ['-br0', /cannot start with '-'/],
      ['..', /reserved/],
      ['all', /reserved/],
    ];
    for (const [name, why] of bad) expect(linkNameProblem(name), name).toMatch(why);
    expect(() => checkLinkName('a b')).toThrow(RangeError);
  });

  it("refuses herd's own prefixes for an operator's bridge", () => {
    expect(hostBridgeNameProblem('br0')).toBeUndefined();
    expect(hostBridgeNameProblem('hb-1a2b3c4d')).toMatch(/keeps for the links it makes/);
    expect(hostBridgeNameProblem('ht-x')).toMatch(/'ht-'/);
    expect(hostBridgeNameProblem('hx-1a2b3c4d')).toMatch(/'hx-'/);
    expect(hostBridgeNameProblem('x'.repeat(16))).toMatch(/15/);
  });
});
