/**
 * noVNC behind one function. This module imports nothing of the app: noVNC starts with a
 * top-level await (a WebCodecs probe), and a chunk with one that shared the app's modules would
 * make the bundler split the app's own entry into pieces, costing every page.
 */
import RFB from '@novnc/novnc';

/** What the graphical console hears from a session. */
export interface VncEvents {
  readonly onConnect: () => void;
  readonly onDisconnect: () => void;
}

/** An open session: close it, or send Ctrl+Alt+Del. */
export interface VncSession {
  readonly close: () => void;
  readonly sendCtrlAltDel: () => void;
}

/** Connects noVNC in `el` to the WebSocket at `url`, scaled to fit and shared with other viewers. */
export function openVnc(el: HTMLElement, url: string, events: VncEvents): VncSession {
  const rfb = new RFB(el, url, { shared: true });
  rfb.scaleViewport = true;
  rfb.background = 'transparent';
  rfb.addEventListener('connect', events.onConnect);
  rfb.addEventListener('disconnect', events.onDisconnect);
  return { close: () => rfb.disconnect(), sendCtrlAltDel: () => rfb.sendCtrlAltDel() };
}
