/**
 * The part of noVNC's RFB client (@novnc/novnc, which ships no types) that the graphical console
 * uses; see its docs/API.md.
 */
declare module '@novnc/novnc' {
  /** Options of the RFB constructor. */
  export interface RfbOptions {
    /** Share the display with other clients (default true). */
    readonly shared?: boolean;
    readonly wsProtocols?: readonly string[];
  }

  /** Detail of the `disconnect` event: whether the connection ended as asked. */
  export interface RfbDisconnectDetail {
    readonly clean: boolean;
  }

  /** One connection to a VNC server over a WebSocket, drawing into `target`. */
  export default class RFB extends EventTarget {
    constructor(target: HTMLElement, urlOrChannel: string | WebSocket, options?: RfbOptions);
    scaleViewport: boolean;
    resizeSession: boolean;
    clipViewport: boolean;
    viewOnly: boolean;
    focusOnClick: boolean;
    background: string;
    qualityLevel: number;
    compressionLevel: number;
    disconnect(): void;
    sendCtrlAltDel(): void;
    focus(): void;
    blur(): void;
  }
}
