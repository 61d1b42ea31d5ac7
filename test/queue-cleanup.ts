/**
 * @module Test helper: stops a queue test's child processes and removes its queue (and the idempotency keys it prefixed) from Redis.
 */
import type { ChildProcess } from "node:child_process";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { stopChildren } from "./helpers.js";
import { REDIS_URL } from "./services.js";

/**
 * SIGTERM to every child, as a process manager would; one still running after 15 s is killed, so
 * none outlives the run. Then, when Redis is up, the queue and its `<name>:keys:*` are deleted.
 */
export async function stopAndRemoveQueue(children: ChildProcess[], queueName: string, redisUp: boolean): Promise<void> {
  const stillRunning = [...children];
  await Promise.race([stopChildren(children), new Promise((resolve) => setTimeout(resolve, 15_000))]);
  for (const child of stillRunning) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  if (!redisUp) return;
  const queue = new Queue(queueName, { connection: { url: REDIS_URL } });
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${queueName}:keys:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}
