import type { z } from "zod";
import type { KernelApp } from "../../shared/http/buildKernel.js";
import type { AidbRuntime } from "../AidbRuntime.js";
import { evalRunInputSchema, evalRunsQuerySchema } from "../api/evalContract.js";

/** `aq eval` history: POST /eval/runs (one run's score and details), GET /eval/runs (newest first). */
export async function evalRunsRoute(app: KernelApp, { runtime }: { runtime: AidbRuntime }) {
  app.post("/eval/runs", { schema: { body: evalRunInputSchema } }, async (request, reply) => {
    const run = await runtime.evalRuns.add(request.body as z.infer<typeof evalRunInputSchema>);
    request.log.info({ event: "eval_run_recorded", eval_run_id: run.id, suite: run.suite, score: run.score, floor: run.floor }, "eval run recorded");
    return reply.code(201).send(run);
  });

  app.get("/eval/runs", { schema: { querystring: evalRunsQuerySchema } }, async (request) => {
    return { runs: await runtime.evalRuns.list(request.query as z.infer<typeof evalRunsQuerySchema>) };
  });
}
