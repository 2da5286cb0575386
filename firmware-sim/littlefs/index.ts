/**
 * littlefs v2 (on-disk 2.0/2.1, compatible with the reference C implementation v2.11) for the
 * simulator and the host tools. Start with `LittleFs.format` / `LittleFs.mount`.
 */
export { LittleFs, LfsFile, type MountOptions, type OpenOptions } from "./little-fs.js";
export {
  type LfsConfig,
  type PresetName,
  presets,
  preset,
  resolveConfig,
  DISK_VERSION_2_0,
  DISK_VERSION_2_1,
  LFS_NAME_MAX,
  LFS_FILE_MAX,
  LFS_ATTR_MAX,
} from "./config.js";
export { checkFs, type CheckReport, type CheckProblem } from "./check.js";
export { detectBlockSize, type DetectedGeometry } from "./detect.js";
export {
  MTIME_ATTR,
  CTIME_ATTR_MKLITTLEFS,
  encodeMtime,
  decodeMtime,
  type MtimeConvention,
} from "./mtime.js";
export type { FsInfo } from "./superblock.js";
export type { UserAttr } from "./state.js";
