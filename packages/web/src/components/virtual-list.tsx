/**
 * A virtualized list of fixed-height rows: only the rows in view (plus a few either side) are
 * in the DOM, so thousands of VMs scroll as smoothly as ten. Scrolling re-renders only when the
 * range of rows in view changes, and moves one block (a single transform), not every row.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** Props of {@link VirtualList}. */
export interface VirtualListProps<T> {
  readonly items: readonly T[];
  /** Height of every row, in CSS pixels. */
  readonly rowHeight: number;
  /** Stable key of an item. */
  readonly itemKey: (item: T) => string;
  /** Renders one row; `index` is its position in `items`. Make it a pure component for speed. */
  readonly renderRow: (item: T, index: number) => ComponentChildren;
  readonly id?: string;
  readonly label: string;
  /** Rows kept in the DOM beyond the visible ones, on each side. */
  readonly overscan?: number;
}

interface Range {
  readonly first: number;
  readonly last: number;
}

/** A scrolling container that renders only the rows in view. */
export function VirtualList<T>({ items, rowHeight, itemKey, renderRow, id, label, overscan = 8 }: VirtualListProps<T>) {
  const ref = useRef<HTMLDivElement>(null);
  const [view, setView] = useState<Range>({ first: 0, last: 0 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    let frame = 0;
    const measure = () => {
      frame = 0;
      const first = Math.floor(el.scrollTop / rowHeight);
      const last = Math.ceil((el.scrollTop + el.clientHeight) / rowHeight);
      // Re-render only when a row enters or leaves the overscanned window.
      setView((v) => (first >= v.first && last <= v.last && v.last > 0 ? v : { first: Math.max(0, first - overscan), last: last + overscan }));
    };
    const onScroll = () => {
      if (!frame) frame = requestAnimationFrame(measure);
    };
    measure();
    el.addEventListener('scroll', onScroll, { passive: true });
    const resize = new ResizeObserver(onScroll);
    resize.observe(el);
    return () => {
      el.removeEventListener('scroll', onScroll);
      resize.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [rowHeight, overscan]);
  const first = Math.min(view.first, Math.max(0, items.length - 1));
  const last = Math.min(items.length, view.last);
  const rows = [];
  for (let i = first; i < last; i++) {
    const item = items[i]!;
    rows.push(
      <div key={itemKey(item)} class="vrow" role="row" aria-rowindex={i + 2} style={{ height: `${rowHeight}px` }}>
        {renderRow(item, i)}
      </div>,
    );
  }
  return (
    <div class="vlist" ref={ref} id={id} role="rowgroup" aria-label={label} tabIndex={0}>
      <div class="vlist-space" style={{ height: `${items.length * rowHeight}px` }}>
        <div class="vlist-window" style={{ transform: `translateY(${first * rowHeight}px)` }}>
          {rows}
        </div>
      </div>
    </div>
  );
}
