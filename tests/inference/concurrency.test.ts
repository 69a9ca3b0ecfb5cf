import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatBody, postJson, startInferenceApp, waitFor, type RunningInference } from "../helpers/startInferenceApp.js";

let svc: RunningInference;
const status = async () => (await fetch(`${svc.url}/status`)).json();

beforeAll(async () => {
  svc = await startInferenceApp({ sequences: 2, queueLimit: 2, contextSize: 8192 });
});
afterAll(async () => {
  await svc?.close();
});

/** Long enough to still be running while the test looks. */
const slow = (extra: Record<string, unknown> = {}) => chatBody("keep going", { max_tokens: 7000, ...extra });

describe("parallel sequences and the queue", () => {
  it("runs N requests in parallel, queues the next ones FIFO and refuses past the queue limit with 503", async () => {
    const controllers = Array.from({ length: 4 }, () => new AbortController());
    const results = controllers.slice(0, 2).map((c) => postJson(`${svc.url}/v1/chat/completions`, slow(), { signal: c.signal }).catch(() => undefined));
    await waitFor(async () => (await status()).active_sequences === 2 || undefined, 10_000, "two active sequences");
    const queued = controllers.slice(2).map((c) =>
      postJson(`${svc.url}/v1/chat/completions`, chatBody("queued", { max_tokens: 4 }), { signal: c.signal }),
    );
    await waitFor(async () => (await status()).queue_depth === 2 || undefined, 10_000, "two queued requests");

    const refused = await postJson(`${svc.url}/v1/chat/completions`, chatBody("one too many", { max_tokens: 4 }));
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect((await refused.json()).error).toMatchObject({ code: "queue_full", type: "server_error" });

    // Free the two running sequences: the queued requests then complete.
    controllers[0].abort();
    controllers[1].abort();
    await Promise.all(results);
    const done = await Promise.all(queued);
    expect(done.map((r) => r.status)).toEqual([200, 200]);
    await waitFor(async () => ((await status()).active_sequences === 0 ? true : undefined), 10_000, "idle");
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    expect(metrics).toMatch(/llama_requests_rejected_total\{reason="queue_full"[^}]*\} 1/);
  });

  it("serves parallel requests faster than one after another", async () => {
    const body = chatBody("parallel", { max_tokens: 200 });
    const one = async () => {
      const r = await postJson(`${svc.url}/v1/chat/completions`, body);
      expect(r.status).toBe(200);
    };
    // Not a speed assertion (that lives in the benchmark): it proves that two
    // requests overlap, i.e. both sequences were busy at the same time.
    let sawTwo = false;
    const watcher = (async () => {
      for (let i = 0; i < 400 && !sawTwo; i++) {
        if ((await status()).active_sequences === 2) sawTwo = true;
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await Promise.all([one(), one()]);
    await watcher;
    expect(sawTwo).toBe(true);
  });

  it("aborts generation and frees the sequence when a streaming client disconnects", async () => {
    const before = await (await fetch(`${svc.url}/metrics`)).text();
    const tokensBefore = Number(before.match(/^llama_tokens_generated_total\{[^}]*\} (\S+)$/m)?.[1] ?? 0);
    const controller = new AbortController();
    const r = await postJson(`${svc.url}/v1/chat/completions`, slow({ stream: true, max_tokens: 7000 }), { signal: controller.signal });
    expect(r.status).toBe(200);
    const reader = r.body!.getReader();
    await reader.read();
    expect((await status()).active_sequences).toBe(1);
    controller.abort();
    await waitFor(async () => ((await status()).active_sequences === 0 ? true : undefined), 5_000, "sequence freed");
    await waitFor(() => svc.logs.text().includes("client_disconnected") || undefined, 5_000, "disconnect log");
    const after = await (await fetch(`${svc.url}/metrics`)).text();
    const tokensAfter = Number(after.match(/^llama_tokens_generated_total\{[^}]*\} (\S+)$/m)?.[1] ?? 0);
    expect(tokensAfter - tokensBefore).toBeLessThan(7000);
    // The freed sequence serves the next request.
    const next = await postJson(`${svc.url}/v1/chat/completions`, chatBody("after", { max_tokens: 3 }));
    expect(next.status).toBe(200);
  });

  it("aborts a non-streaming generation when its client disconnects", async () => {
    const controller = new AbortController();
    const pending = postJson(`${svc.url}/v1/chat/completions`, slow({ max_tokens: 7000 }), { signal: controller.signal }).catch((e) => e);
    await waitFor(async () => ((await status()).active_sequences === 1 ? true : undefined), 5_000, "running");
    controller.abort();
    await pending;
    await waitFor(async () => ((await status()).active_sequences === 0 ? true : undefined), 5_000, "sequence freed");
  });

  it("drops a queued request from the queue when its client disconnects", async () => {
    const holders = [new AbortController(), new AbortController()];
    const running = holders.map((c) => postJson(`${svc.url}/v1/chat/completions`, slow(), { signal: c.signal }).catch(() => undefined));
    await waitFor(async () => ((await status()).active_sequences === 2 ? true : undefined), 5_000, "busy");
    const queuedController = new AbortController();
    const queued = postJson(`${svc.url}/v1/chat/completions`, chatBody("q", { max_tokens: 3 }), { signal: queuedController.signal }).catch((e) => e);
    await waitFor(async () => ((await status()).queue_depth === 1 ? true : undefined), 5_000, "queued");
    queuedController.abort();
    await queued;
    await waitFor(async () => ((await status()).queue_depth === 0 ? true : undefined), 5_000, "queue emptied");
    for (const h of holders) h.abort();
    await Promise.all(running);
  });
});
