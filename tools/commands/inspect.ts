/**
 * `flashbak inspect PKG`: what a firmware package holds (partitions, versions, the files of
 * /usr and /bak with sizes and device CRCs, backup on/off, whether each checksum.json matches
 * the files it lists), and `--extract DIR` to write every partition image to DIR/<name>.bin.
 */
import { join, resolve } from "node:path";
import type { CommandBody } from "./command-body.js";
import type { InspectReport } from "../../firmware-sim/package/inspect.js";
import { inspectPackage } from "../../firmware-sim/package/inspect.js";
import { io, printJson, println } from "../io.js";
import { readInput, writeFileAtomic } from "../merge/files.js";

interface Args {
  package: string;
  extract?: string;
  json?: boolean;
}

const hex = (n: number): string => "0x" + n.toString(16).padStart(6, "0");

function flags(p: InspectReport["partitions"][number]): string {
  const f = [p.readOnly ? "read-only" : "", p.preserveOnFlash ? "preserved on flash" : ""].filter((x) => x);
  return f.length > 0 ? ` [${f.join(", ")}]` : "";
}

function printText(r: InspectReport): void {
  const h = r.header;
  println(`package: ${r.size} bytes, sha256 ${r.sha256}`);
  println(`format version ${h.formatVersion}, board ${h.board}, flash ${h.flashSize >> 20} MiB`);
  println(`firmware ${h.firmwareName} ${h.firmwareVersion}, restore mode ${h.restoreMode}`);
  const build = Object.entries(h.build);
  if (build.length > 0) println(`build: ${build.map(([k, v]) => `${k}=${v}`).join(", ")}`);
  println("partitions:");
  for (const p of r.partitions) {
    const img = p.imageLength > 0 ? `image ${p.imageLength} B crc32 ${p.crc32}` : "no image (left erased)";
    println(
      `  ${hex(p.offset)} ${String(p.size).padStart(8)} ${p.name.padEnd(19)} ${p.type.padEnd(10)} ${p.mount ?? ""} ${img}${flags(p)}`,
    );
  }
  const bad = r.checks.filter((c) => !c.ok);
  println(
    `checksums: ${bad.length === 0 ? `all ${r.checks.length} hold` : bad.map((c) => `${c.what} MISMATCH`).join(", ")}`,
  );
  for (const f of r.filesystems) {
    if (f.error !== undefined) {
      println(`${f.mount} (${f.partition}): ${f.error}`);
      continue;
    }
    println(
      `${f.mount} (${f.partition}): ${f.files.length} files, ${f.blocksUsed}/${f.blockCount} blocks used`,
    );
    for (const file of f.files)
      println(
        `  ${String(file.size).padStart(8)}  ${(file.crc32 ?? "None").padEnd(10)}  ${f.mount}${file.path}`,
      );
  }
  println(`backup restore: ${r.backupEnabled ? "enabled" : "disabled"} (/bak/backup_restore.json)`);
  for (const c of r.checksums) {
    if (!c.present) println(`${c.file}: absent`);
    else if (c.error !== undefined) println(`${c.file}: unusable: ${c.error}`);
    else {
      const bad = c.entries.filter((e) => !e.ok);
      println(
        `${c.file}: ${c.entries.length} entries, ${bad.length === 0 ? "all match" : `${bad.length} do not match`}`,
      );
      for (const e of bad)
        println(`  ${e.name}: recorded ${e.recorded}, file ${e.actual ?? "missing or empty"}`);
    }
  }
}

const inspectCommand: CommandBody<Args> = {
  builder: (y) =>
    y
      .positional("package", { type: "string", demandOption: true, describe: "Firmware package (.fbpkg)" })
      .option("extract", {
        type: "string",
        describe: "Also write each partition's image to DIR/<partition name>.bin (created if missing)",
      })
      .example("$0 inspect images/example.fbpkg", "human-readable report")
      .example("$0 inspect app.fbpkg --json", "the same as one JSON object")
      .example(
        "$0 inspect app.fbpkg --extract parts/",
        "parts/customer_fs.bin, parts/customer_backup_fs.bin, ...",
      ),
  handler: (argv) => {
    const r = inspectPackage(readInput(argv.package, "package"));
    const extracted: string[] = [];
    if (argv.extract !== undefined) {
      const dir = resolve(io().cwd, argv.extract);
      for (const [name, image] of r.images) {
        const path = join(dir, `${name}.bin`);
        writeFileAtomic(path, image);
        extracted.push(path);
      }
    }
    if (argv.json) {
      const { images: _images, ...rest } = r;
      printJson({ ...rest, ...(argv.extract === undefined ? {} : { extracted }) });
      return;
    }
    printText(r);
    for (const p of extracted) println(`extracted ${p}`);
  },
};

export default inspectCommand;
