/**
 * Provisioning in download mode, for units whose REPL is not reachable: identity is the chip
 * MAC from eFuse, and SecureData records are written through the loader.
 *
 * The SecureData partition is read with READ_FLASH, the records are stored into that copy by
 * the module's own SecureData implementation (the same code the firmware runs, so the on-flash
 * layout is exactly the firmware's), the sectors that changed are written back, and the
 * partition is read again and parsed to verify every value. A cut between sector write-backs
 * can leave the region half updated; provisioning the unit again repairs it, because the
 * store is re-read and only what differs is written.
 */
import { FlashbakError } from "../../firmware-sim/errors.js";
import { MemoryBlockDevice } from "../../firmware-sim/flash/block-device.js";
import { SecureData } from "../../firmware-sim/module/securedata.js";
import { EspClient } from "../flasher/esp-client.js";
import type { Identity, Provisioner, UnitHandle } from "./provisioning.js";

const SECTOR = 4096;

export class DownloadModeProvisioner implements Provisioner {
  readonly name = "download-mode";
  readonly needsFirmware = false;

  /** @param region the board's SecureData partition (offset and size in bytes). */
  constructor(private readonly region: { offset: number; size: number }) {}

  async identify(unit: UnitHandle): Promise<Identity> {
    return unit.flash.identity.mac
      ? { kind: "mac", value: unit.flash.identity.mac }
      : { kind: "none", value: "" };
  }

  async provision(unit: UnitHandle, values: ReadonlyMap<number, Uint8Array>): Promise<void> {
    const client = new EspClient(unit.link, unit.time);
    client.baud = unit.flash.baud;
    if (!(await client.sync())) {
      throw new FlashbakError(
        "PROVISION_FAILED",
        `${unit.port}: the module left download mode before provisioning`,
        {
          hint: "flash with the station (it keeps the module in download mode until provisioning is done)",
        },
      );
    }
    if (client.personality !== "stub") {
      throw new FlashbakError(
        "PROVISION_FAILED",
        `${unit.port}: download-mode provisioning needs the stub loader`,
      );
    }
    const { offset, size } = this.region;
    const before = await client.readFlash(offset, size);
    const geometry = {
      readSize: 1,
      progSize: 1,
      blockSize: SECTOR,
      blockCount: size / SECTOR,
      eraseValue: 0xff,
    };
    const bd = new MemoryBlockDevice(geometry, { data: before.slice() });
    const sd = new SecureData(bd);
    for (const [index, value] of values) {
      const old = sd.value(index);
      if (old !== undefined && Buffer.from(old).equals(Buffer.from(value))) continue;
      if (sd.Store(index, value, value.length) !== 0) {
        throw new FlashbakError(
          "PROVISION_FAILED",
          `${unit.port}: SecureData refused index ${index} (${value.length} bytes)`,
          {
            hint: "the region holds data that is not a SecureData store, or is full of failing sectors; inspect it with flashbak",
          },
        );
      }
    }
    for (let s = 0; s < size; s += SECTOR) {
      const want = bd.data.subarray(s, s + SECTOR);
      if (Buffer.from(want).equals(Buffer.from(before.subarray(s, s + SECTOR)))) continue;
      // A plain FLASH_BEGIN of one sector: the stub erases it (if not blank) and writes it.
      const blocks = await client.flashBegin({
        offset: offset + s,
        size: SECTOR,
        wireSize: SECTOR,
        compressed: false,
      });
      for (let b = 0; b < blocks; b++) {
        await client.flashBlock(
          b,
          want.subarray(b * client.writeBlockSize, (b + 1) * client.writeBlockSize),
          false,
        );
      }
    }
    const after = await client.readFlash(offset, size);
    const check = new SecureData(new MemoryBlockDevice(geometry, { data: after.slice() }));
    for (const [index, value] of values) {
      const got = check.value(index);
      if (got === undefined || !Buffer.from(got).equals(Buffer.from(value))) {
        throw new FlashbakError(
          "PROVISION_FAILED",
          `${unit.port}: SecureData index ${index} reads back wrong`,
          {
            hint: "the write did not take; provision the unit again and replace it if it repeats",
          },
        );
      }
    }
  }
}
