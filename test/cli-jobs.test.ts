/**
 * @module `tradehook jobs` run as a person runs it (the built bin, a child process) against real Redis: list, show, retry, remove, and its errors.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apindicators, createReceiver, MemoryStore } from "../src/index.js";
import { bullmqQueue, startWorker } from "../src/queues/bullmq.js";
import { signDelivery } from "../src/testing/index.js";
import { closedPort, REDIS_URL, serviceAvailable } from "./services.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const BIN = join(ROOT, "dist/cli/index.js");
const redisUp = await serviceAvailable("redis");
const NAME = `th-cli-${randomBytes(4).toString("hex")}`;
const SECRET = "jobs-cli-secret";

function tradehook(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1" }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr });
    });
  });
}
const jobs = (...args: string[]) => tradehook(["jobs", "--redis", REDIS_URL, "--queue", NAME, ...args]);

describe.skipIf(!redisUp)("tradehook jobs", () => {
  const queue = redisUp ? bullmqQueue({ connection: { url: REDIS_URL }, name: NAME, jobs: { attempts: 1 } }) : undefined!;
  const receiver = createReceiver({ provider: apindicators({ secret: SECRET }), store: new MemoryStore(), queue, logger: {} });
  const failedIds: string[] = [];
  let waitingId = "";

  const deliver = async (pair: string) => {
    const payload = { event: "signal.buy", timestamp: new Date().toISOString(), data: { pair, side: "buy", score: 0.4, market_type: "trending", interval: "1h" } };
    const { body, headers } = signDelivery(apindicators({ secret: SECRET }), payload);
    const result = await receiver.handle({ body, headers, method: "POST" });
    expect(result.status).toBe(202);
    return result.event!.id;
  };

  beforeAll(async () => {
    receiver.on("signal.buy", (event) => {
      throw new Error(`exchange rejected ${(event.data as { pair: string }).pair}`);
    });
    let failures = 0;
    const allFailed = new Promise<void>((resolve) => receiver.onError(() => ++failures === 2 && resolve()));
    const worker = startWorker(receiver);
    await deliver("FAIL1");
    await deliver("FAIL2");
    await allFailed;
    await worker.close();
    for (const job of await queue.queue.getFailed()) failedIds.push(String(job.id));
    await deliver("WAIT1");
    waitingId = String((await queue.queue.getWaiting())[0]!.id);
  });

  afterAll(async () => {
    if (!redisUp) return;
    await queue.queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  });

  it("list prints the counts per state and the jobs, the dead letter with its last error", async () => {
    const all = await jobs("list");
    expect(all.code).toBe(0);
    expect(all.stdout).toContain(`queue ${NAME}: waiting 1, active 0, delayed 0, prioritized 0, completed 0, failed 2`);
    expect(all.stdout).toContain(waitingId);
    const failed = await jobs("list", "--state", "failed");
    expect(failed.code).toBe(0);
    for (const id of failedIds) expect(failed.stdout).toContain(id);
    expect(failed.stdout).not.toContain(waitingId);
    expect(failed.stdout).toMatch(/signal\.buy\s+1\/1\s+\S+\s+exchange rejected FAIL\d/);
    const json = JSON.parse((await jobs("list", "--state", "failed", "--json")).stdout);
    expect(json.counts.failed).toBe(2);
    expect(json.jobs.map((j: { id: string }) => j.id).sort()).toEqual([...failedIds].sort());
  });

  it("show prints one job's state, attempts, error and stored event", async () => {
    const shown = await jobs("show", failedIds[0]!);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`job ${failedIds[0]} (failed)`);
    expect(shown.stdout).toContain("attempts  1 of 1");
    expect(shown.stdout).toMatch(/error {5}exchange rejected FAIL\d/);
    expect(shown.stdout).toContain('"market_type": "trending"');
    const missing = await jobs("show", "no-such-job");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`no job "no-such-job" in queue "${NAME}"`);
  });

  it("retry moves one failed job back to waiting, refuses a job that has not failed, and --failed retries the rest", async () => {
    const one = await jobs("retry", failedIds[0]!);
    expect(one).toMatchObject({ code: 0, stdout: `retried ${failedIds[0]}\n` });
    expect(await (await queue.queue.getJob(failedIds[0]!))!.getState()).toBe("waiting");
    const notFailed = await jobs("retry", waitingId);
    expect(notFailed.code).toBe(1);
    expect(notFailed.stderr).toContain("has not failed");
    const rest = await jobs("retry", "--failed");
    expect(rest).toMatchObject({ code: 0, stdout: `retried 1 failed job in queue ${NAME}\n` });
    expect(await queue.queue.getJobCounts("failed", "waiting")).toEqual({ failed: 0, waiting: 3 });
  });

  it("remove deletes a job; an unknown id exits 1", async () => {
    expect(await jobs("remove", waitingId)).toMatchObject({ code: 0, stdout: `removed ${waitingId}\n` });
    expect(await queue.queue.getJob(waitingId)).toBeUndefined();
    expect((await jobs("remove", waitingId)).code).toBe(1);
  });

  it("names what is wrong: no --redis or action (exit 2), Redis unreachable (exit 1, no password shown)", async () => {
    const noRedis = await tradehook(["jobs", "list"]);
    expect(noRedis.code).toBe(2);
    expect(noRedis.stderr).toContain("missing --redis");
    const noAction = await tradehook(["jobs", "--redis", REDIS_URL]);
    expect(noAction.code).toBe(2);
    expect(noAction.stderr).toContain("missing action");
    const badState = await jobs("list", "--state", "dead");
    expect(badState.code).toBe(2);
    const port = await closedPort();
    const down = await tradehook(["jobs", "--redis", `redis://user:hunter2@127.0.0.1:${port}`, "list"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`cannot reach Redis at redis://user:***@127.0.0.1:${port}`);
    expect(down.stderr).not.toContain("hunter2");
  });
});
