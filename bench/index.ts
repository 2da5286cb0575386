/** Every benchmark suite, one module per area. */
import type { Bench } from "./report.js";
import { esptoolJsBenches } from "./esptool-js.js";
import { flashBenches } from "./flash.js";
import { flashSerialBenches } from "./flash-serial.js";
import { fsCliBenches } from "./fs-cli.js";
import { littlefsBenches } from "./littlefs.js";
import { mergeBenches } from "./merge.js";
import { moduleBenches } from "./module.js";
import { serialBenches } from "./serial.js";
import { stationPtyBenches } from "./station-pty.js";

export const benches: Bench[] = [
  ...esptoolJsBenches,
  ...flashBenches,
  ...flashSerialBenches,
  ...fsCliBenches,
  ...littlefsBenches,
  ...mergeBenches,
  ...moduleBenches,
  ...serialBenches,
  ...stationPtyBenches,
];
