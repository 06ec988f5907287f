/**
 * The `-o table|json|yaml` switch. `json` and `yaml` print the API's objects exactly as the
 * daemon sent them (for scripts); `table` prints a view made for people.
 */
import { createRequire } from 'node:module';

/** Loads the YAML library on first use: most runs never print YAML, and it costs startup time. */
const toYaml = (data: unknown): string => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).stringify(data);

/** The output formats `-o` accepts. */
export const outputFormats = ['table', 'json', 'yaml'] as const;

/** An output format. */
export type OutputFormat = (typeof outputFormats)[number];

/** Renders `data` in `format`; `table` calls `human` for the people's view. Ends with a newline. */
export function render(format: OutputFormat, data: unknown, human: () => string): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(data, null, 2)}\n`;
    case 'yaml':
      return toYaml(data);
    case 'table':
      return human();
  }
}

/**
 * Renders one item of a stream (an event) on one line for `json`, as a YAML document for `yaml`,
 * or with `human` for `table`.
 */
export function renderStreamItem(format: OutputFormat, data: unknown, human: () => string): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(data)}\n`;
    case 'yaml':
      return `---\n${toYaml(data)}`;
    case 'table':
      return human();
  }
}

/** A `key: value` block with aligned values, for `show` commands. */
export function renderDetails(pairs: readonly (readonly [key: string, value: string])[]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)}  ${v}`.trimEnd()).join('\n') + '\n';
}
