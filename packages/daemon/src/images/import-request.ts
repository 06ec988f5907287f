/**
 * What `POST /images/import` asks for, parsed at the edge into one closed type: the schema
 * cannot say "exactly one of path and url" in a way that gives a clear error, so it is said here.
 */
import { HerdError, type ImageImport } from '@herd/api';

/** Where an imported image comes from: a file on the daemon host, or an http(s) URL. */
export type ImportSource = { readonly kind: 'path'; readonly path: string } | { readonly kind: 'url'; readonly url: string };

/** An image import, as the image service runs it. */
export interface ImportRequest {
  readonly name: string;
  readonly source: ImportSource;
  /** Expected SHA-256 of the bytes imported, lower-case hex. */
  readonly sha256: string | undefined;
}

const invalid = (field: string, reason: string) => new HerdError('validation_failed', { field, reason });

/**
 * Parses a validated request body. Throws validation_failed naming the field when it gives both
 * or neither of `path` and `url`, or a URL herd cannot download.
 */
export function parseImportRequest(body: ImageImport): ImportRequest {
  const sha256 = body.sha256?.toLowerCase();
  if (body.path !== undefined && body.url !== undefined)
    throw invalid('url', "give either 'path' (a file on the daemon host) or 'url', not both");
  if (body.url !== undefined) return { name: body.name, source: { kind: 'url', url: downloadableUrl(body.url) }, sha256 };
  if (body.path !== undefined) return { name: body.name, source: { kind: 'path', path: body.path }, sha256 };
  throw invalid('path', "'path' (a file on the daemon host) or 'url' (http or https) is required");
}

function downloadableUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid('url', `'${text}' is not a URL; give an http:// or https:// URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid('url', `herd downloads only http and https URLs, not ${url.protocol.slice(0, -1)}; copy the file to the daemon host and import it by 'path'`);
  // The URL is kept as the image's source and shown in operations and events.
  if (url.username || url.password) throw invalid('url', 'a URL with a user name or password would be stored in the image record; give one without');
  return url.href;
}
