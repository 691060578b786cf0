import type { AnchorHTMLAttributes, MouseEvent } from 'react';
import { navigate } from './navigation.js';
import { routePath, type Route } from './routes.js';

interface Props extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> {
  to: Route;
}

/** A real link (middle-click, copy address, open in new tab all work) that navigates in-app. */
export function Link({ to, onClick, children, ...rest }: Props) {
  const href = routePath(to);
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={href} onClick={click} {...rest}>
      {children}
    </a>
  );
}
