/**
 * The serial console of a VM in the browser: xterm.js on the console WebSocket. A browser
 * cannot put the token on a WebSocket, so every connection first asks for a single-use serial
 * console ticket that rides in the URL. The server sends binary frames of console output
 * (recent history first); what is typed is sent as bytes. The socket reconnects (with a new
 * ticket) when it drops while the VM is still shown. xterm.js is loaded on first use, so pages
 * without a console do not pay for it.
 */
import { HerdError } from '@herd/api';
import { useEffect, useRef, useState } from 'preact/hooks';
import { consoleSocketUrl } from '../lib/client.js';
import { errorMessage } from '../lib/errors.js';

type ConsoleStatus = 'connecting' | 'connected' | 'disconnected';

function terminalTheme() {
  const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
  return dark
    ? { background: '#0d1117', foreground: '#d6dde6', cursor: '#8fb3ff', selectionBackground: '#2f4a7a' }
    : { background: '#101418', foreground: '#e6e9ee', cursor: '#8fb3ff', selectionBackground: '#2f4a7a' };
}

/** An interactive serial console for VM `vm` (its name); `id` is the container's id. */
export function ConsoleTerminal({ vm, id }: { readonly vm: string; readonly id: string }) {
  const host = useRef<HTMLDivElement>(null);
  const [status, setStatus] = useState<ConsoleStatus>('connecting');
  const [problem, setProblem] = useState<string | undefined>(undefined);
  useEffect(() => {
    let cleanup: (() => void) | undefined;
    let cancelled = false;
    void loadXterm().then((Terminal) => {
      if (!cancelled) cleanup = attach(Terminal, host.current!, vm, setStatus, setProblem);
    });
    return () => {
      cancelled = true;
      cleanup?.();
    };
  }, [vm]);
  return (
    <div class="console">
      <div class="console-bar">
        <span class={`dot dot-${status}`} aria-hidden="true" />
        <span id={`${id}-status`} role="status">
          Serial console {status}
        </span>
        <span class="muted">Click the console and type; output is the guest's ttyS0.</span>
      </div>
      {problem && (
        <p class="console-problem" id={`${id}-problem`}>
          {problem}
        </p>
      )}
      <div class="console-screen" id={id} ref={host} aria-label={`Serial console of ${vm}`} />
    </div>
  );
}

type TerminalClass = typeof import('@xterm/xterm').Terminal;

async function loadXterm(): Promise<TerminalClass> {
  const [mod] = await Promise.all([import('@xterm/xterm'), import('@xterm/xterm/css/xterm.css')]);
  return mod.Terminal;
}

/** Refusals that another try would meet again: say them and stop. */
function final(e: unknown): boolean {
  return e instanceof HerdError && (e.code === 'forbidden' || e.code === 'not_found' || e.code === 'unauthenticated');
}

/** Opens a terminal in `el` wired to the console socket of `vm`; returns its teardown. */
function attach(Terminal: TerminalClass, el: HTMLElement, vm: string, setStatus: (s: ConsoleStatus) => void, setProblem: (p: string | undefined) => void): () => void {
  const term = new Terminal({
    cols: 100,
    rows: 26,
    convertEol: false,
    cursorBlink: true,
    scrollback: 5000,
    fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace',
    fontSize: 13,
    theme: terminalTheme(),
  });
  term.open(el);
  const encoder = new TextEncoder();
  let socket: WebSocket | undefined;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const connect = async () => {
    setStatus('connecting');
    let url: string;
    try {
      url = await consoleSocketUrl(vm, 'serial');
    } catch (e) {
      if (closed) return;
      setStatus('disconnected');
      setProblem(`Cannot open the serial console: ${errorMessage(e)}`);
      if (!final(e)) retry = setTimeout(() => void connect(), 2000);
      return;
    }
    if (closed) return;
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      setStatus('connected');
      setProblem(undefined);
      // The server replays recent history first; start from a clean screen so it is not doubled.
      term.reset();
    };
    ws.onmessage = (m) => term.write(typeof m.data === 'string' ? m.data : new Uint8Array(m.data as ArrayBuffer));
    ws.onclose = () => {
      setStatus('disconnected');
      if (!closed) retry = setTimeout(() => void connect(), 2000);
    };
    socket = ws;
  };
  const typed = term.onData((d) => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(encoder.encode(d));
  });
  const binary = term.onBinary((d) => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(Uint8Array.from(d, (c) => c.charCodeAt(0)));
  });
  void connect();
  return () => {
    closed = true;
    if (retry) clearTimeout(retry);
    typed.dispose();
    binary.dispose();
    socket?.close();
    term.dispose();
  };
}
