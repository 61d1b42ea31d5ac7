import { describe, expect, it } from "vitest";
import { MemoryStore } from "../src/index.js";

describe("MemoryStore", () => {
  it("claims, completes and answers duplicates; other bodies are a mismatch", async () => {
    const store = new MemoryStore();
    const claim = await store.claim("k", "fp", 1000);
    expect(claim.state).toBe("claimed");
    expect(await store.claim("k", "fp", 1000)).toEqual({ state: "in_progress" });
    expect(await store.claim("k", "other", 1000)).toEqual({ state: "mismatch" });
    await store.complete("k", (claim as { token: string }).token, 10_000);
    expect(await store.claim("k", "fp", 1000)).toEqual({ state: "completed" });
  });

  it("only the token holder can extend, complete or release", async () => {
    let now = 0;
    const store = new MemoryStore({ now: () => now });
    const { token } = (await store.claim("k", "fp", 1000)) as { token: string };
    expect(await store.extend("k", "stale", 1000)).toBe(false);
    await store.release("k", "stale");
    await store.complete("k", "stale", 1000);
    expect(await store.claim("k", "fp", 1000)).toEqual({ state: "in_progress" });
    expect(await store.extend("k", token, 5000)).toBe(true);
    now = 4000;
    expect(await store.claim("k", "fp", 1000)).toEqual({ state: "in_progress" });
    await store.release("k", token);
    expect((await store.claim("k", "fp", 1000)).state).toBe("claimed");
  });

  it("an expired lease lets a new claim win, and the old token is fenced off", async () => {
    let now = 0;
    const store = new MemoryStore({ now: () => now });
    const first = (await store.claim("k", "fp", 1000)) as { token: string };
    now = 1001;
    const second = (await store.claim("k", "fp", 1000)) as { state: string; token: string };
    expect(second.state).toBe("claimed");
    expect(await store.extend("k", first.token, 1000)).toBe(false);
    await store.complete("k", first.token, 1000);
    expect(await store.claim("k", "fp", 1000)).toEqual({ state: "in_progress" });
  });

  it("forgets completed keys after retainMs", async () => {
    let now = 0;
    const store = new MemoryStore({ now: () => now });
    const { token } = (await store.claim("k", "fp", 1000)) as { token: string };
    await store.complete("k", token, 60_000);
    now = 59_999;
    expect((await store.claim("k", "fp", 1000)).state).toBe("completed");
    now = 60_000;
    expect((await store.claim("k", "fp", 1000)).state).toBe("claimed");
  });

  it("stays within maxKeys by evicting the oldest completed keys, never a running claim", async () => {
    const store = new MemoryStore({ maxKeys: 100 });
    const running = (await store.claim("running", "fp", 60_000)) as { token: string };
    for (let i = 0; i < 1000; i++) {
      const claim = (await store.claim(`k${i}`, "fp", 60_000)) as { token: string };
      await store.complete(`k${i}`, claim.token, 60_000);
      expect(store.size).toBeLessThanOrEqual(100);
    }
    expect(await store.claim("running", "fp", 60_000)).toEqual({ state: "in_progress" });
    expect(await store.extend("running", running.token, 60_000)).toBe(true);
    expect((await store.claim("k999", "fp", 1000)).state).toBe("completed");
    expect((await store.claim("k0", "fp", 1000)).state).toBe("claimed");
  });
});
