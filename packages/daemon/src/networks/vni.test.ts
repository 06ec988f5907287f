import { describe, expect, it } from 'vitest';
import { chooseVni, FIRST_AUTO_VNI } from './vni.js';

describe('chooseVni', () => {
  it('gives the lowest free VNI above the VLAN ids', () => {
    expect(chooseVni(new Set())).toEqual({ vni: FIRST_AUTO_VNI });
    expect(chooseVni(new Set([42, FIRST_AUTO_VNI, FIRST_AUTO_VNI + 1]))).toEqual({ vni: FIRST_AUTO_VNI + 2 });
  });

  it('honours a wanted VNI unless another network has it', () => {
    expect(chooseVni(new Set([FIRST_AUTO_VNI]), 42)).toEqual({ vni: 42 });
    expect(chooseVni(new Set([42]), 42)).toEqual({ problem: 'taken' });
  });
});
