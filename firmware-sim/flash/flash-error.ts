import { FlashbakError } from "../errors.js";

/**
 * A violation of NOR rules or a failing sector. Codes:
 * - FLASH_RANGE: address/length outside the chip or the partition;
 * - FLASH_ALIGN: not aligned to the program granularity or the erase unit;
 * - FLASH_NOT_ERASED: strict mode, programming a byte that is not erased;
 * - FLASH_BIT_SET: a re-program in a relaxed region that would need a 0 -> 1 transition;
 * - FLASH_REPROGRAM_LIMIT: a word re-programmed more often than the configured limit;
 * - FLASH_BAD_PROG / FLASH_BAD_ERASE / FLASH_BAD_READ: a worn-out (bad) sector reports an error;
 * - FLASH_READ_ONLY: program or erase on a read-only partition;
 * - FLASH_UNKNOWN_CHIP, FLASH_CONFIG: bad configuration.
 */
export class FlashError extends FlashbakError {}
