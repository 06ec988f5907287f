/** An event sink that keeps what it is given, for unit tests of the engines. */
import type { EventInput } from '../../events/event-log.js';
import type { EventSink } from '../alert-engine.js';

/** Records appended events in order. */
export class RecordingSink implements EventSink {
  readonly events: EventInput[] = [];

  async append(input: EventInput): Promise<unknown> {
    this.events.push(input);
    return input;
  }

  /** The types of the recorded events. */
  get types(): string[] {
    return this.events.map((e) => e.type);
  }
}
