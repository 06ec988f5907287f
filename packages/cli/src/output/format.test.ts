import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { render, renderDetails, renderStreamItem } from './format.js';

const data = { name: 'web1', spec: { cpus: 2 }, pid: null };

describe('render', () => {
  it('prints JSON that parses back to the same object', () => {
    expect(JSON.parse(render('json', data, () => 'people'))).toEqual(data);
  });

  it('prints YAML that parses back to the same object', () => {
    expect(parseYaml(render('yaml', data, () => 'people'))).toEqual(data);
  });

  it('uses the people view for table', () => {
    expect(render('table', data, () => 'people\n')).toBe('people\n');
  });
});

describe('renderStreamItem', () => {
  it('puts one JSON object on one line', () => {
    const out = renderStreamItem('json', data, () => '');
    expect(out.endsWith('\n')).toBe(true);
    expect(out.trimEnd().includes('\n')).toBe(false);
    expect(JSON.parse(out)).toEqual(data);
  });

  it('starts each YAML item as its own document', () => {
    expect(renderStreamItem('yaml', data, () => '')).toMatch(/^---\nname: web1\n/);
  });
});

describe('renderDetails', () => {
  it('aligns values after the longest key', () => {
    expect(renderDetails([
      ['name', 'web1'],
      ['last error', '-'],
    ])).toBe('name:        web1\nlast error:  -\n');
  });
});
