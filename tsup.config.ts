import { defineConfig } from "tsup";

export default defineConfig([
  {
    entry: {
      index: "src/index.ts",
      express: "src/adapters/express.ts",
      fastify: "src/adapters/fastify.ts",
      next: "src/adapters/next.ts",
      lambda: "src/adapters/lambda.ts",
      redis: "src/stores/redis.ts",
      postgres: "src/stores/postgres.ts",
      testing: "src/testing/index.ts",
    },
    format: ["esm", "cjs"],
    dts: true,
    clean: true,
    target: "node20",
    platform: "neutral",
    splitting: true,
    treeshake: true,
    sourcemap: false,
    external: ["zod", "express", "fastify", "next", "ioredis", "redis", "pg", /^node:/],
  },
  {
    entry: { "cli/index": "src/cli/index.ts" },
    format: ["esm"],
    target: "node20",
    platform: "node",
    banner: { js: "#!/usr/bin/env node" },
    external: ["zod"],
  },
]);
