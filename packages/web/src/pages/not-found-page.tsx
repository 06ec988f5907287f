/** What an unknown path inside the app shows. */
import { Link } from '../components/link.js';

/** The page for paths the app does not know. */
export function NotFoundPage({ path }: { readonly path: string }) {
  return (
    <div class="page">
      <h1>Nothing here</h1>
      <p>
        The web UI has no page at <code>{path}</code>. Go to the <Link href="/">dashboard</Link>.
      </p>
    </div>
  );
}
