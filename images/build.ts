/**
 * `npm run images`: (re)build the base firmware packages of every board and the example
 * project's merged package into images/. Run from the repository root (npm does that).
 * Output is byte-for-byte reproducible; test/images checks the committed files against it.
 */
import { join } from "node:path";
import { writeFileAtomic } from "../tools/merge/files.js";
import { imageOutputs } from "./base-images.js";

const root = process.cwd();
for (const o of imageOutputs(root)) {
  writeFileAtomic(join(root, o.path), o.bytes);
  process.stdout.write(`${o.path}: ${o.bytes.length} bytes\n`);
}
