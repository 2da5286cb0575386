/**
 * `flashbak export PKG --out FILE.bin`: the whole flash as one flat binary (gaps 0xFF, like
 * `esptool merge-bin --pad-to-size`) for raw flashers and programmers. Partitions preserved on
 * flash (SecureData) are left erased, and the command says so. The flasher's firmware descriptor
 * (restore mode) is included, so a raw flash boots as a package flash does.
 */
import type { CommandBody } from "./command-body.js";
import { partitionsToFlash } from "../../firmware-sim/package/layout.js";
import { readPackage } from "../../firmware-sim/package/reader.js";
import { exportImage } from "../merge/export-image.js";
import { readInput, writeFileAtomic } from "../merge/files.js";
import { printJson, println } from "../io.js";

interface Args {
  package: string;
  out: string;
  json?: boolean;
}

const hex = (n: number): string => "0x" + n.toString(16).padStart(6, "0");

const exportCommand: CommandBody<Args> = {
  builder: (y) =>
    y
      .positional("package", {
        type: "string",
        demandOption: true,
        describe: "Firmware package (.fbpkg) to export",
      })
      .option("out", {
        alias: "o",
        type: "string",
        demandOption: true,
        describe: "Output binary; exactly the flash size of the package's board, written atomically",
      })
      .example("$0 export images/example.fbpkg --out example.bin", "flat 8 MiB image for a raw programmer")
      .example("$0 export app.fbpkg -o app.bin --json", "the same, with a JSON summary"),
  handler: (argv) => {
    const pkg = readPackage(readInput(argv.package, "package"));
    const { bytes: flat, descriptorAt: descriptor } = exportImage(pkg);
    writeFileAtomic(argv.out, flat);
    const written = partitionsToFlash(pkg).filter((p) => p.image.length > 0);
    const preserved = pkg.partitions.filter((p) => p.flags.preserveOnFlash);
    if (argv.json) {
      printJson({
        out: argv.out,
        size: flat.length,
        board: pkg.header.board,
        partitions: written.map((p) => ({ name: p.name, offset: p.offset, bytes: p.image.length })),
        erased: preserved.map((p) => ({
          name: p.name,
          offset: p.offset,
          size: p.size,
          reason: "preserve-on-flash",
        })),
      });
      return;
    }
    println(`${argv.out}: ${flat.length} bytes (${pkg.header.board}, whole flash, gaps 0xFF)`);
    for (const p of written) println(`  ${hex(p.offset)}  ${p.name.padEnd(20)} ${p.image.length} bytes`);
    if (descriptor !== undefined) {
      println(
        `  ${hex(descriptor)}  firmware descriptor  restore mode ${pkg.header.restoreMode}, as the flasher writes it`,
      );
    }
    for (const p of preserved) {
      println(
        `  ${hex(p.offset)}  ${p.name.padEnd(20)} left erased: preserved on flash (device data, never in a package)`,
      );
    }
  },
};

export default exportCommand;
