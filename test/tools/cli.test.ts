import { describe, expect, it } from "vitest";
import { FlashbakError, FsError, PowerLoss } from "../../firmware-sim/errors.js";
import { commandNamed, commandTable } from "../../tools/commands/index.js";
import { ExitCode, mapError } from "../../tools/exit-codes.js";
import yargs from "yargs";
import { skipHelpCache } from "../../tools/cli.js";
import { runCli } from "./cli-harness.js";

describe("flashbak CLI", () => {
  it("--help lists the commands and the exit codes", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/flashbak chips/);
    expect(r.stdout).toMatch(/Exit codes/);
  });

  it("an unknown command is a usage error (exit 2), as JSON with --json", async () => {
    const r = await runCli(["no-such-command"]);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stderr).toMatch(/Unknown argument|Unknown command/);
    const j = await runCli(["no-such-command", "--json"]);
    expect(j.code).toBe(ExitCode.USAGE);
    expect(JSON.parse(j.stdout)).toMatchObject({ error: "USAGE" });
  });

  it("a missing required option stops the command before it runs (exit 2, its help shown)", async () => {
    const r = await runCli(["merge", "--base", "images/ec600u.fbpkg"]);
    expect(r.code).toBe(ExitCode.USAGE);
    expect(r.stderr).toMatch(/Missing required argument: project/);
    expect(r.stderr).toMatch(/--project/);
    const j = await runCli(["merge", "--base", "x", "--json"]);
    expect(JSON.parse(j.stdout)).toEqual({ error: "USAGE", message: "Missing required argument: project" });
  });

  it("the command table is sorted, and every entry loads a module with a builder and a handler", async () => {
    const names = commandTable.map((c) => c.command.split(" ")[0]!);
    expect(names).toEqual([...names].sort());
    for (const entry of commandTable) {
      const body = (await entry.load()).default;
      expect(typeof body.handler, entry.command).toBe("function");
      expect(body.builder, entry.command).toBeDefined();
    }
    expect(commandNamed("fs")?.command).toBe("fs <command>");
    expect(commandNamed("mkfs")).toBeUndefined();
  });

  it("a command's own --help comes from its loaded module; a typo gets a suggestion", async () => {
    const r = await runCli(["fs", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/flashbak fs mkfs <image> <dir>/);
    const t = await runCli(["fz"]);
    expect(t.code).toBe(ExitCode.USAGE);
    expect(t.stderr).toMatch(/Did you mean fs\?/);
  });

  it("chips prints a table and JSON", async () => {
    const r = await runCli(["chips"]);
    expect(r.stdout).toMatch(/w25q64\s+W25Q64JV\s+8 MiB/);
    const j = await runCli(["chips", "--json"]);
    const list = JSON.parse(j.stdout) as Array<{ id: string; size: number }>;
    expect(list.find((c) => c.id === "w25q128")?.size).toBe(16 << 20);
  });
});

describe("yargs' help cache", () => {
  type Internals = { getInternalMethods(): { getUsageInstance(): { hasCachedHelpMessage(): boolean } } };
  async function runOne(skip: boolean): Promise<boolean> {
    const parser = yargs(["hello", "--name", "x"]).exitProcess(false);
    if (skip) expect(skipHelpCache(parser)).toBe(true);
    let ran = "";
    await parser
      .command(
        "hello",
        "say hello",
        (y) => y.option("name", { type: "string" }),
        (a) => {
          ran = String(a.name);
        },
      )
      .parseAsync();
    expect(ran).toBe("x");
    return (parser as unknown as Internals).getInternalMethods().getUsageInstance().hasCachedHelpMessage();
  }

  it("yargs renders and keeps the help after a command's handler unless told not to", async () => {
    // if yargs stops doing this (or moves it), skipHelpCache is dead code: these say so
    expect(await runOne(false)).toBe(true);
    expect(await runOne(true)).toBe(false);
  });

  it("a command's --help still comes out in full after skipping the cache", async () => {
    const r = await runCli(["fs", "mkfs", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--block-size/);
    expect(r.stdout).toMatch(/Examples:/);
  });
});

describe("error to exit-code mapping", () => {
  it.each([
    [new PowerLoss(5), ExitCode.POWER_LOSS],
    [new FsError("NOENT", "x"), ExitCode.NOT_FOUND],
    [new FsError("CORRUPT", "x"), ExitCode.CORRUPT],
    [new FsError("NOSPC", "x"), ExitCode.NO_SPACE],
    [new FsError("EXIST", "x"), ExitCode.USAGE],
    [new FlashbakError("PKG_CORRUPT", "x"), ExitCode.CORRUPT],
    [new FlashbakError("FLASH_BAD_PROG", "x"), ExitCode.DEVICE],
    [new FlashbakError("SERIAL_TIMEOUT", "x"), ExitCode.DEVICE],
    [new FlashbakError("BOARD_NOT_FOUND", "x"), ExitCode.NOT_FOUND],
    [new TypeError("boom"), ExitCode.INTERNAL],
  ])("%s -> %i", (err, code) => {
    expect(mapError(err).exitCode).toBe(code);
  });

  it("keeps the hint in the text and the JSON", () => {
    const m = mapError(
      new FlashbakError("PKG_BOARD", "package is for ec600s", { hint: "use --board ec600s" }),
    );
    expect(m.text).toMatch(/hint: use --board ec600s/);
    expect(m.json).toMatchObject({ error: "PKG_BOARD", hint: "use --board ec600s" });
  });
});
