/**
 * The graphical console of a VM in the browser: noVNC on the VNC WebSocket of the API. Every
 * connection first asks for a fresh single-use ticket (a WebSocket carries no headers, so the
 * ticket rides in its URL). A dropped connection is retried with a new ticket while the VM runs;
 * a restart of the VM reconnects. noVNC is fetched on first use (see novnc-session.ts).
 */
import { HerdError, type Vm } from '@herd/api';
import { useEffect, useRef, useState } from 'preact/hooks';
import { client, consoleSocketUrl } from '../../lib/client.js';
import { errorMessage } from '../../lib/errors.js';
import { useCan } from '../../lib/use-can.js';
import type { VncSession } from './novnc-session.js';
import './vnc-console.css';

type Status = 'connecting' | 'connected' | 'disconnected' | 'unavailable';

const statusText: Readonly<Record<Status, string>> = {
  connecting: 'connecting',
  connected: 'connected',
  disconnected: 'disconnected',
  unavailable: 'not available',
};

/** The graphical console of `vm`; `id` is the screen's id (the status is `${id}-status`). */
export function VncConsole({ vm, id }: { readonly vm: Vm; readonly id: string }) {
  if (vm.spec.display !== 'vnc') return <NoDisplay vm={vm} id={id} />;
  return <VncScreen vm={vm} id={id} />;
}

function VncScreen({ vm, id }: { readonly vm: Vm; readonly id: string }) {
  const screen = useRef<HTMLDivElement>(null);
  const rfb = useRef<VncSession | undefined>(undefined);
  const [status, setStatus] = useState<Status>('connecting');
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [attempt, setAttempt] = useState(0);
  const running = vm.state === 'running' || vm.state === 'paused';

  useEffect(() => {
    if (!running) {
      setStatus('unavailable');
      setProblem(`The VM is ${vm.state}; its screen shows here while it runs.`);
      return;
    }
    let closed = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const connect = async () => {
      setStatus('connecting');
      setProblem(undefined);
      try {
        const [{ openVnc }, url] = await Promise.all([import('./novnc-session.js'), consoleSocketUrl(vm.name, 'vnc')]);
        if (closed) return;
        const session = openVnc(screen.current!, url, {
          onConnect: () => setStatus('connected'),
          onDisconnect: () => {
            if (rfb.current === session) rfb.current = undefined;
            if (closed) return;
            setStatus('disconnected');
            retry = setTimeout(() => void connect(), 3000);
          },
        });
        rfb.current = session;
      } catch (e) {
        if (closed) return;
        // The display is not up (or the daemon is unreachable): say why, and wait for the VM to
        // change (the effect runs again) or for the Reconnect button.
        setStatus('unavailable');
        setProblem(e instanceof HerdError && e.code === 'display_unavailable' ? e.message : `Cannot open the graphical console: ${errorMessage(e)}`);
      }
    };
    void connect();
    return () => {
      closed = true;
      if (retry !== undefined) clearTimeout(retry);
      rfb.current?.close();
      rfb.current = undefined;
    };
  }, [vm.name, running, vm.status.startedAt, attempt]);

  return (
    <div class="console vnc">
      <div class="console-bar">
        <span class={`dot dot-${status === 'unavailable' ? 'disconnected' : status}`} aria-hidden="true" />
        <span id={`${id}-status`} role="status">
          Graphical console {statusText[status]}
        </span>
        <span class="actions">
          <button type="button" id={`${id}-ctrl-alt-del`} disabled={status !== 'connected'} onClick={() => rfb.current?.sendCtrlAltDel()}>
            Send Ctrl+Alt+Del
          </button>
          <button type="button" id={`${id}-reconnect`} disabled={status === 'connecting' || !running} onClick={() => setAttempt((n) => n + 1)}>
            Reconnect
          </button>
        </span>
      </div>
      {problem && (
        <p class="vnc-problem" id={`${id}-problem`}>
          {problem}
        </p>
      )}
      <div class="vnc-screen" id={id} ref={screen} aria-label={`Screen of ${vm.name}; click it to type into the VM`} hidden={status === 'unavailable'} />
    </div>
  );
}

/** A VM without a display: what a VNC display is, and the switch that adds one. */
function NoDisplay({ vm, id }: { readonly vm: Vm; readonly id: string }) {
  const can = useCan();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const enable = async () => {
    setBusy(true);
    setError(undefined);
    try {
      // The page rereads the VM when the update's event arrives.
      await client.call('updateVm', { params: { id: vm.name }, body: { display: 'vnc' } });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="vnc-none" id={`${id}-none`}>
      <p>
        This VM has no display: it has the serial console only. A VNC display gives it a VGA card whose screen shows here; it takes effect at the VM's next
        start.
      </p>
      {can('updateVm') && (
        <button type="button" id={`${id}-enable`} disabled={busy} onClick={() => void enable()}>
          Add a VNC display
        </button>
      )}
      {error && <p class="error-text">{error}</p>}
    </div>
  );
}
