/**
 * @module Starts a conformance server on loopback and closes it, kept-alive connections included.
 */
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { RunningServer } from "./spec.js";

/** Listens on 127.0.0.1 at a free port; `close()` drops kept-alive connections, then closes. */
export async function listenOnLoopback(server: Server): Promise<RunningServer> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
