import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { ingest, startCoordinatorStack, type CoordinatorStack } from "../helpers/startCoordinatorStack.js";

// Streaming must reach the client as it is generated, not after. A long
// answer from the bench-sized model (about 150-190 tokens/s on one thread)
// takes over a second to generate; the first token must arrive while most of
// it is still to come, and the body must arrive in many separate reads. A
// buffering layer anywhere (coordinator, its inference client, compression,
// the HTTP server) delivers everything at the end and fails both checks.
const answerTokens = 200;

interface Arrival {
  at: number;
  /** One parsed `data:` payload (JSON, or the string "[DONE]"). */
  event: any;
}

/** Reads an SSE response as it arrives, stamping each event with the time its bytes came in. */
async function readTimed(res: Response, start: number): Promise<{ events: Arrival[]; reads: number }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: Arrival[] = [];
  let buffer = "";
  let reads = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const at = performance.now() - start;
    reads++;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end).trim();
      buffer = buffer.slice(end + 2);
      if (!block.startsWith("data: ")) continue;
      const data = block.slice(6);
      events.push({ at, event: data === "[DONE]" ? data : JSON.parse(data) });
    }
  }
  return { events, reads };
}

describe("coordinator streaming is unbuffered", () => {
  let s: CoordinatorStack;

  beforeAll(async () => {
    s = await startCoordinatorStack({
      chatModel: inject("models").chatBig,
      routing: { local_confidence_threshold: 0 },
      coordinator: { maxTokens: answerTokens },
    });
    await ingest(s.aidb.url, [{ project: "nix", title: "Modules", text: "A NixOS module declares options and sets config. Modules are merged by the module system." }]);
  }, 120_000);
  afterAll(async () => s?.close());

  it("POST /query stream: the first token arrives while most of the answer is still being generated", async () => {
    const start = performance.now();
    const res = await fetch(`${s.url}/query`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: "what does a NixOS module declare?", stream: true, project: "nix" }),
    });
    expect(res.status).toBe(200);
    const { events, reads } = await readTimed(res, start);
    const tokens = events.filter((e) => e.event.type === "token");
    const done = events.find((e) => e.event.type === "done")!;
    expect(done.event.finish_reason).toBe("length");
    expect(tokens.length).toBeGreaterThan(answerTokens / 2);
    const firstToken = tokens[0].at;
    const generateMs = done.event.timings.generate_ms as number;
    // Generation took long enough for the difference to show.
    expect(generateMs).toBeGreaterThan(300);
    // Over half of the generation time passed between the first token
    // reaching this client and the end of the stream.
    expect(done.at - firstToken).toBeGreaterThan(0.5 * generateMs);
    // Tokens came in many reads spread over time, not as one block.
    expect(reads).toBeGreaterThan(10);
    const spread = new Set(tokens.map((t) => Math.floor(t.at / 50))).size;
    expect(spread).toBeGreaterThan(5);
  });

  it("POST /v1/chat/completions stream: chunks arrive as they are generated", async () => {
    const start = performance.now();
    const res = await fetch(`${s.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ messages: [{ role: "user", content: "tell me about NixOS modules" }], stream: true, max_tokens: answerTokens }),
    });
    expect(res.status).toBe(200);
    const { events, reads } = await readTimed(res, start);
    const content = events.filter((e) => e.event !== "[DONE]" && e.event.choices?.[0]?.delta?.content);
    expect(content.length).toBeGreaterThan(answerTokens / 2);
    expect(events.at(-1)!.event).toBe("[DONE]");
    const first = content[0].at;
    const last = events.at(-1)!.at;
    // The first content chunk came in the first half of the response's life,
    // and the rest kept coming after it.
    expect(first).toBeLessThan(0.5 * last);
    expect(last - first).toBeGreaterThan(300);
    expect(reads).toBeGreaterThan(10);
  });
});
