// node --import ./test/examples/register.mjs examples/<name>/index.js: runs an example against this repo's dist/ without npm install.
import { register } from "node:module";

register("./resolve-tradehook.mjs", import.meta.url);
