/**
 * `--port sim:<flash file>`: the host tools (`exec`, `repl`, `device fs`, `device securedata`,
 * `flash`) reach the full flash-backed module in-process, booted from a flash file made by
 * `flashbak sim create`; the file is saved when the command ends. `--port sim` and
 * `sim:<name>` (no such file) stay in-memory modules.
 */
import { existsSync } from "node:fs";
import { VirtualClock } from "../../firmware-sim/clock.js";
import { LittleFsDriver } from "../../firmware-sim/module/fs-driver.js";
import { ModuleDevice } from "../../firmware-sim/module/module-device.js";
import { exampleIdentity } from "../../firmware-sim/runtime/services.js";
import { memorySimModule, type SimModule } from "../serial/open-link.js";
import { loadFlashFile, saveFlashFile } from "./flash-file.js";

/** True when "sim:<name>" names a flash file rather than an in-memory module. */
export function namesFlashFile(name: string): boolean {
  return name.endsWith(".bin") || (name.includes("/") && existsSync(name));
}

export async function flashFileModule(path: string, baud: number): Promise<SimModule> {
  const loaded = loadFlashFile(path);
  const dev = new ModuleDevice({
    board: loaded.board,
    flash: loaded.flash,
    fsDriver: new LittleFsDriver(),
    clock: new VirtualClock(),
    baud,
    identity: exampleIdentity(),
    // A runaway program is parked after 10 virtual minutes so the CLI's deadlines keep working.
    repl: { execBudgetUs: 600e6 },
  });
  let open = true;
  const close = (): void => {
    if (!open) return;
    open = false;
    process.off("exit", close);
    saveFlashFile(path, dev.flash);
  };
  // Saved once, when the command ends (process exit) or the module is forgotten: the current
  // chip holds everything, also after a power cut (it was built from the dead one's snapshot).
  process.once("exit", close);
  await dev.powerOn();
  return { line: dev.line, close };
}

/** The module behind "sim:<name>": a flash file's module, or an in-memory one. */
export function simModule(name: string, baud: number): Promise<SimModule> {
  return namesFlashFile(name) ? flashFileModule(name, baud) : memorySimModule(name, baud);
}
