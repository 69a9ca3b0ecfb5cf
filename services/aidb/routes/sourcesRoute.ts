import type { z } from "zod";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import type { AidbRuntime } from "../AidbRuntime.js";
import { deleteSourceItemsSchema, sourceIdParams } from "../api/sourcesContract.js";

/** GET /sources/:id/items (what a sync compares against), POST /sources/:id/items/delete (items gone from the source). */
export async function sourcesRoute(app: KernelApp, { runtime }: { runtime: AidbRuntime }) {
  app.get("/sources/:id/items", { schema: { params: sourceIdParams } }, async (request) => {
    const { id } = request.params as z.infer<typeof sourceIdParams>;
    return { items: await runtime.sourceItems.list(id) };
  });

  app.post("/sources/:id/items/delete", { schema: { params: sourceIdParams, body: deleteSourceItemsSchema } }, async (request) => {
    const { id } = request.params as z.infer<typeof sourceIdParams>;
    const { keys } = request.body as z.infer<typeof deleteSourceItemsSchema>;
    const r = await runtime.sourceItems.remove(id, keys);
    await runtime.stamps.bumpProjects([...new Set(r.projects)]);
    request.log.info({ event: "source_items_deleted", source_id: id, items: r.deletedItems, documents: r.deletedDocuments }, "source items removed");
    return { deleted_items: r.deletedItems, deleted_documents: r.deletedDocuments };
  });
}
