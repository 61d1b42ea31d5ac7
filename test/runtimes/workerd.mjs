/**
 * @module Serves a bundled Worker on workerd through miniflare (run on Node 22: miniflare needs it); prints its origin.
 */
import { Miniflare } from "miniflare";

const mf = new Miniflare({
  modules: true,
  scriptPath: process.argv[2],
  compatibilityDate: "2025-09-01",
  bindings: { APINDICATORS_SECRET: process.env.APINDICATORS_SECRET },
  host: "127.0.0.1",
  port: 0,
});
const url = await mf.ready;
console.log(`ORIGIN ${url.origin}`);
process.on("SIGTERM", () => mf.dispose().then(() => process.exit(0)));
