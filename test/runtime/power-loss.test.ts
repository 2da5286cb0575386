import { expect, it } from "vitest";
import { VirtualClock } from "../../firmware-sim/clock.js";
import { PowerLoss, isPowerLoss } from "../../firmware-sim/errors.js";
import type { FileSystem, FsFile } from "../../firmware-sim/fs/file-system.js";
import { MemoryFileSystem } from "../../firmware-sim/fs/memory-file-system.js";
import { MemorySecureData, exampleIdentity } from "../../firmware-sim/runtime/services.js";
import { MicroPythonVm } from "../../firmware-sim/runtime/vm.js";

/** A file system whose every write loses power, as a flash cut mid-program would. */
function cutOnWrite(inner: FileSystem): FileSystem {
  return new Proxy(inner, {
    get(target, prop, recv) {
      if (prop === "open") {
        return (path: string, flags: Parameters<FileSystem["open"]>[1]): FsFile => {
          const f = target.open(path, flags);
          return new Proxy(f, {
            get(ft, fp, fr) {
              if (fp === "write")
                return () => {
                  throw new PowerLoss(7);
                };
              return Reflect.get(ft, fp, fr) as unknown;
            },
          });
        };
      }
      return Reflect.get(target, prop, recv) as unknown;
    },
  });
}

it("a PowerLoss inside a file write escapes the VM even through `except BaseException`, and the VM is dead", async () => {
  const vm = await MicroPythonVm.boot({
    services: {
      mounts: [{ path: "/usr", fs: cutOnWrite(new MemoryFileSystem()) }],
      secureData: new MemorySecureData(),
      identity: exampleIdentity(),
      clock: new VirtualClock(),
    },
    output: () => {},
  });
  let caught: unknown;
  try {
    vm.exec("try:\n  open('/usr/f','w').write('x')\nexcept BaseException:\n  print('swallowed')", {
      mode: "exec",
      filename: "<stdin>",
    });
  } catch (e) {
    caught = e;
  }
  expect(isPowerLoss(caught)).toBe(true);
  expect(vm.isDead).toBe(true);
  expect(() => vm.exec("print(1)", { mode: "exec", filename: "<stdin>" })).toThrow(/power cut/);
});
