import { describe, expect, it } from "vitest";
import { CircuitBreaker } from "../../../services/coordinator/routing/CircuitBreaker.js";

function fakeClock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe("CircuitBreaker", () => {
  it("defaults: opens after 3 consecutive failures, not 2", () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({ now: clock.now });
    b.recordFailure();
    b.recordFailure();
    expect(b.state).toBe("closed");
    expect(b.allowRequest()).toBe(true);
    b.recordFailure();
    expect(b.state).toBe("open");
    expect(b.allowRequest()).toBe(false);
  });

  it("a success resets the consecutive count", () => {
    const b = new CircuitBreaker({ now: fakeClock().now });
    b.recordFailure();
    b.recordFailure();
    b.recordSuccess();
    b.recordFailure();
    b.recordFailure();
    expect(b.state).toBe("closed");
    b.recordFailure();
    expect(b.state).toBe("open");
  });

  it("stays open for the default 5 s cooldown, then half-opens", () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({ now: clock.now });
    for (let i = 0; i < 3; i++) b.recordFailure();
    clock.advance(4999);
    expect(b.state).toBe("open");
    expect(b.allowRequest()).toBe(false);
    clock.advance(1);
    expect(b.state).toBe("half_open");
  });

  it("half-open lets exactly one trial through", () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({ failures: 1, cooldownMs: 100, now: clock.now });
    b.recordFailure();
    clock.advance(100);
    expect(b.allowRequest()).toBe(true);
    expect(b.allowRequest()).toBe(false);
    expect(b.allowRequest()).toBe(false);
  });

  it("a successful trial closes the circuit", () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({ failures: 2, cooldownMs: 100, now: clock.now });
    b.recordFailure();
    b.recordFailure();
    clock.advance(100);
    expect(b.allowRequest()).toBe(true);
    b.recordSuccess();
    expect(b.state).toBe("closed");
    expect(b.allowRequest()).toBe(true);
    expect(b.allowRequest()).toBe(true);
    // and it takes the full count again to reopen
    b.recordFailure();
    expect(b.state).toBe("closed");
  });

  it("a failed trial reopens for a fresh cooldown", () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({ failures: 3, cooldownMs: 100, now: clock.now });
    for (let i = 0; i < 3; i++) b.recordFailure();
    clock.advance(150);
    expect(b.allowRequest()).toBe(true);
    b.recordFailure();
    expect(b.state).toBe("open");
    expect(b.allowRequest()).toBe(false);
    clock.advance(99);
    expect(b.state).toBe("open");
    clock.advance(1);
    expect(b.state).toBe("half_open");
    expect(b.allowRequest()).toBe(true);
  });

  it("a trial that never reports frees the slot after a cooldown", () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({ failures: 1, cooldownMs: 100, now: clock.now });
    b.recordFailure();
    clock.advance(100);
    expect(b.allowRequest()).toBe(true);
    clock.advance(99);
    expect(b.allowRequest()).toBe(false);
    clock.advance(1);
    expect(b.allowRequest()).toBe(true);
  });

  it("honours configured failures and cooldown", () => {
    const clock = fakeClock();
    const b = new CircuitBreaker({ failures: 5, cooldownMs: 20_000, now: clock.now });
    for (let i = 0; i < 4; i++) b.recordFailure();
    expect(b.state).toBe("closed");
    b.recordFailure();
    expect(b.state).toBe("open");
    clock.advance(19_999);
    expect(b.state).toBe("open");
    clock.advance(1);
    expect(b.state).toBe("half_open");
  });

  it("rejects nonsense options", () => {
    expect(() => new CircuitBreaker({ failures: 0 })).toThrow(/failures/);
    expect(() => new CircuitBreaker({ cooldownMs: -1 })).toThrow(/cooldownMs/);
  });
});
