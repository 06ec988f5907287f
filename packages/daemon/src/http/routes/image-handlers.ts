/** Handlers of the `images` routes. */
import { parseImportRequest } from '../../images/import-request.js';
import { checkHostPath } from '../host-paths.js';
import type { HandlerGroup } from '../handler.js';
import { replyOperation } from '../reply-operation.js';

/** Image routes. */
export const imageHandlers: HandlerGroup<'listImages' | 'getImage' | 'buildImage' | 'importImage' | 'deleteImage'> = (s) => ({
  listImages: () => s.images.list(),
  getImage: ({ params }) => s.images.get(params.id),
  buildImage: async ({ body, query }, reply) => replyOperation(reply, s.ops, await s.images.build(body), query),
  importImage: async ({ body, query }, reply, request) => {
    checkHostPath(request, 'path', body.path, () => true);
    return replyOperation(reply, s.ops, await s.images.import(parseImportRequest(body)), query);
  },
  deleteImage: ({ params }) => s.images.delete(params.id),
});
