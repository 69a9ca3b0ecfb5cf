import { describe, expect, it } from "vitest";
import { QueueFullError } from "../../services/inference/QueueFullError.js";
import { RequestAbortedError } from "../../services/inference/RequestAbortedError.js";
import { SlotScheduler } from "../../services/inference/SlotScheduler.js";

describe("SlotScheduler", () => {
  it("hands out free slots, then queues FIFO, then refuses past the queue limit", async () => {
    const s = new SlotScheduler<string>(2);
    s.resume(["a", "b"]);
    expect(await s.acquire()).toBe("a");
    expect(await s.acquire()).toBe("b");
    const order: string[] = [];
    const w1 = s.acquire().then((slot) => order.push(`w1:${slot}`));
    const w2 = s.acquire().then((slot) => order.push(`w2:${slot}`));
    expect(s.queueDepth).toBe(2);
    await expect(s.acquire()).rejects.toBeInstanceOf(QueueFullError);
    s.release("b");
    s.release("a");
    await Promise.all([w1, w2]);
    expect(order).toEqual(["w1:b", "w2:a"]);
    expect(s.queueDepth).toBe(0);
    expect(s.activeCount).toBe(2);
  });

  it("refuses at once with a queue limit of 0 when all slots are busy", async () => {
    const s = new SlotScheduler<number>(0);
    s.resume([1]);
    await s.acquire();
    const err = await s.acquire().catch((e) => e);
    expect(err).toBeInstanceOf(QueueFullError);
    expect((err as QueueFullError).headers["retry-after"]).toBe("1");
    expect((err as QueueFullError).statusCode).toBe(503);
  });

  it("removes an aborted waiter from the queue", async () => {
    const s = new SlotScheduler<number>(5);
    s.resume([1]);
    await s.acquire();
    const controller = new AbortController();
    const waiting = s.acquire(controller.signal);
    const next = s.acquire();
    expect(s.queueDepth).toBe(2);
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(RequestAbortedError);
    expect(s.queueDepth).toBe(1);
    s.release(1);
    await expect(next).resolves.toBe(1);
  });

  it("queues while paused and dispatches the new slots on resume", async () => {
    const s = new SlotScheduler<string>(5);
    s.resume(["old"]);
    const slot = await s.acquire();
    s.pause();
    const queued = s.acquire();
    let idle = false;
    const idlePromise = s.idle().then(() => (idle = true));
    await Promise.resolve();
    expect(idle).toBe(false);
    s.release(slot);
    await idlePromise;
    expect(s.queueDepth).toBe(1);
    s.resume(["new"]);
    await expect(queued).resolves.toBe("new");
  });

  it("rejectAll fails every waiter", async () => {
    const s = new SlotScheduler<number>(5);
    const a = s.acquire();
    const b = s.acquire();
    s.rejectAll(new Error("shutting down"));
    await expect(a).rejects.toThrow("shutting down");
    await expect(b).rejects.toThrow("shutting down");
  });
});
