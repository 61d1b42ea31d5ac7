// Only because this example links tradehook from the repository (`file:../..`): Turbopack
// compiles files under its root only, so the root is the repository. In your own app, with
// tradehook installed from npm, you need none of this.
import { fileURLToPath } from "node:url";

/** @type {import("next").NextConfig} */
export default {
  turbopack: { root: fileURLToPath(new URL("../..", import.meta.url)) },
};
