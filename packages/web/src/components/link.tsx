/** An in-app link: a real `<a href>` (so it opens in a new tab too) that routes without a reload. */
import type { ComponentChildren } from 'preact';
import { navigate } from '../lib/router.js';

/** Props of {@link Link}. */
export interface LinkProps {
  readonly href: string;
  readonly children: ComponentChildren;
  readonly id?: string;
  readonly class?: string;
  readonly 'aria-label'?: string;
  readonly 'aria-current'?: 'page' | undefined;
}

/** A link inside the app. */
export function Link({ href, children, ...rest }: LinkProps) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
