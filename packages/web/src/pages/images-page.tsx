/** Images: the list, building the tiny demo image, and deleting images no VM uses. */
import { formatSize, type Image } from '@herd/api';
import { useState } from 'preact/hooks';
import { client } from '../lib/client.js';
import { useCan } from '../lib/use-can.js';
import { isImageEvent } from '../lib/event-filters.js';
import { errorMessage } from '../lib/errors.js';
import { timeAgo } from '../lib/format.js';
import { useLive } from '../lib/use-live.js';
import { Notice } from '../components/notice.js';

/** The images page. */
export function ImagesPage() {
  const images = useLive(() => client.call('listImages'), isImageEvent);
  const can = useCan();
  const [message, setMessage] = useState<{ kind: 'error' | 'info'; text: string } | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [force, setForce] = useState(false);

  const build = async () => {
    setBusy(true);
    setMessage(undefined);
    try {
      const op = await client.call('buildImage', { body: { recipe: 'tiny', ...(force ? { force: true } : {}) } });
      setMessage({ kind: 'info', text: `building the tiny image (operation ${op.id.slice(0, 8)}); it appears here when done` });
    } catch (e) {
      setMessage({ kind: 'error', text: errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };
  const remove = async (image: Image) => {
    setMessage(undefined);
    try {
      await client.call('deleteImage', { params: { id: image.id } });
    } catch (e) {
      setMessage({ kind: 'error', text: errorMessage(e) });
    }
  };

  return (
    <div class="page">
      <div class="page-head">
        <h1>Images</h1>
        {can('buildImage') && (
          <div class="actions">
            <label class="inline">
              <input type="checkbox" id="image-build-force" checked={force} onChange={(e) => setForce(e.currentTarget.checked)} /> rebuild if it exists
            </label>
            <button type="button" class="primary" id="image-build-tiny" disabled={busy} onClick={() => void build()}>
              Build tiny image
            </button>
          </div>
        )}
      </div>
      {images.error && <Notice>{errorMessage(images.error)}</Notice>}
      {message && (
        <Notice kind={message.kind} id="images-message" onDismiss={() => setMessage(undefined)}>
          {message.text}
        </Notice>
      )}
      <div class="table-wrap card">
        <table class="table" id="image-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Format</th>
              <th scope="col">Virtual size</th>
              <th scope="col">On disk</th>
              <th scope="col">Used by</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {(images.data ?? []).map((i) => (
              <tr key={i.id} id={`image-${i.name}-row`}>
                <th scope="row">{i.name}</th>
                <td>{i.kind}</td>
                <td>{i.format}</td>
                <td>{formatSize(i.virtualSize)}</td>
                <td>{formatSize(i.actualSize)}</td>
                <td>{i.usedBy.length ? i.usedBy.join(', ') : <span class="muted">none</span>}</td>
                <td>{timeAgo(i.createdAt)}</td>
                <td>
                  {can('deleteImage') && (
                    <button type="button" class="danger" id={`image-${i.name}-delete`} disabled={i.usedBy.length > 0} title={i.usedBy.length ? `used by ${i.usedBy.join(', ')}` : undefined} aria-label={`Delete image ${i.name}`} onClick={() => void remove(i)}>
                      Delete
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {images.data?.length === 0 && <p class="muted">No images yet: build the tiny one to try herd.</p>}
      </div>
    </div>
  );
}
