/**
 * A spinner (and, for work that reports it, a progress bar) on stderr while the CLI waits. It
 * draws only when stderr is a TTY; otherwise it writes nothing, so that logs and pipes get only
 * the result and the errors.
 */
import { renderMeter } from './meter.js';
import { truncate } from './table.js';

/** What the spinner shows: an operation's progress (0-100) and what it is doing now. */
export interface ProgressState {
  readonly progress: number;
  readonly message: string;
}

/** Options for {@link Progress}. */
export interface ProgressOptions {
  /** Draw a bar for the progress percentage (builds, imports), not only a spinner. */
  readonly bar?: boolean;
  /** Where to draw; process.stderr by default. */
  readonly stream?: NodeJS.WriteStream;
}

const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const barWidth = 24;

/** A spinner line that redraws itself until {@link Progress.stop} is called. Stop it exactly once. */
export class Progress {
  readonly #stream: NodeJS.WriteStream;
  readonly #label: string;
  readonly #bar: boolean;
  readonly #timer: NodeJS.Timeout | undefined;
  #state: ProgressState = { progress: 0, message: '' };
  #frame = 0;

  /** Starts drawing `label` (for example "starting vm 'web1'") if the stream is a TTY. */
  constructor(label: string, options: ProgressOptions = {}) {
    this.#stream = options.stream ?? process.stderr;
    this.#label = label;
    this.#bar = options.bar ?? false;
    if (this.#stream.isTTY) {
      this.#timer = setInterval(() => this.#draw(), 80);
      this.#timer.unref();
      this.#draw();
    }
  }

  /** Shows new progress; may be called at any time before stop. */
  update(state: ProgressState): void {
    this.#state = state;
  }

  /** Erases the line and stops drawing. */
  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#stream.write('\r\x1b[K');
  }

  #draw(): void {
    const frame = frames[this.#frame++ % frames.length] ?? '';
    let line = `${frame} ${this.#label}`;
    if (this.#bar) {
      const pct = Math.max(0, Math.min(100, Math.round(this.#state.progress)));
      line += ` [${renderMeter(pct / 100, barWidth)}] ${String(pct).padStart(3)}%`;
    }
    if (this.#state.message) line += `  ${this.#state.message}`;
    const width = (this.#stream.columns || 80) - 1;
    this.#stream.write(`\r\x1b[K${truncate(line, width)}`);
  }
}
