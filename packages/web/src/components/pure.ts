/** A base for components that re-render only when a prop changes (shallow comparison). */
import { Component } from 'preact';

/** Extend it, and pass stable callbacks, to skip re-rendering unchanged rows. */
export abstract class Pure<P extends object> extends Component<P> {
  override shouldComponentUpdate(next: P): boolean {
    const now = this.props as Record<string, unknown>;
    const then = next as Record<string, unknown>;
    for (const k in then) if (now[k] !== then[k]) return true;
    for (const k in now) if (!(k in then)) return true;
    return false;
  }
}
