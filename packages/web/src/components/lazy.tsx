/**
 * `lazy`: a component whose code is fetched on first use, so pages that do not show it (the VM
 * list, say) do not pay for it. Renders nothing until loaded; if the fetch fails (the daemon was
 * upgraded meanwhile, say) it says so, and the next mount tries again.
 */
import type { ComponentType, FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** Wraps `load` (a dynamic import) as a component with the same props. */
export function lazy<P extends object>(load: () => Promise<ComponentType<P>>): FunctionComponent<P> {
  let loaded: ComponentType<P> | undefined;
  let loading: Promise<ComponentType<P>> | undefined;
  return function Lazy(props: P) {
    const [Loaded, setLoaded] = useState<ComponentType<P> | undefined>(() => loaded);
    const [failed, setFailed] = useState(false);
    useEffect(() => {
      if (Loaded) return;
      let alive = true;
      loading ??= load().then((c) => (loaded = c));
      loading.then(
        (c) => alive && setLoaded(() => c),
        () => {
          loading = undefined;
          if (alive) setFailed(true);
        },
      );
      return () => {
        alive = false;
      };
    }, []);
    if (Loaded) return <Loaded {...props} />;
    return failed ? (
      <p class="error-text" role="alert">
        This part of the page could not be loaded; reload the page.
      </p>
    ) : null;
  };
}
