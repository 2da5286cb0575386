/**
 * An in-memory `FileSystem`: the fake beside littlefs. Same semantics and error codes
 * (littlefs directory order, EXIST/NOENT/ISDIR/NOTDIR/NOTEMPTY, read-only EROFS), no flash.
 */
import { fsError } from "../errors.js";
import type { FileSystem, FsFile, FsStat, FsUsage, OpenFlags } from "./file-system.js";
import { Whence } from "./file-system.js";
import { basename, compareNames, splitPath } from "./path.js";

interface MemNode {
  type: "file" | "dir";
  data: Uint8Array;
  children: Map<string, MemNode>;
  attrs: Map<number, Uint8Array>;
}

function newNode(type: "file" | "dir"): MemNode {
  return { type, data: new Uint8Array(0), children: new Map(), attrs: new Map() };
}

export class MemoryFileSystem implements FileSystem {
  readOnly: boolean;
  private root = newNode("dir");
  /** Name limit in bytes, as littlefs's name_max. */
  readonly nameMax: number;

  constructor(opts: { readOnly?: boolean; nameMax?: number } = {}) {
    this.readOnly = opts.readOnly ?? false;
    this.nameMax = opts.nameMax ?? 255;
  }

  private lookup(path: string): MemNode | undefined {
    let node: MemNode | undefined = this.root;
    for (const part of splitPath(path)) {
      if (node.type !== "dir") throw fsError("NOTDIR", path);
      node = node.children.get(part);
      if (node === undefined) return undefined;
    }
    return node;
  }

  private need(path: string): MemNode {
    const n = this.lookup(path);
    if (n === undefined) throw fsError("NOENT", path);
    return n;
  }

  private parentOf(path: string): { parent: MemNode; name: string } {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) throw fsError("INVAL", path, "the root cannot be changed");
    if (new TextEncoder().encode(name).length > this.nameMax) throw fsError("NAMETOOLONG", path);
    const parent = this.need("/" + parts.join("/"));
    if (parent.type !== "dir") throw fsError("NOTDIR", path);
    return { parent, name };
  }

  private writable(path: string): void {
    if (this.readOnly) throw fsError("EROFS", path);
  }

  stat(path: string): FsStat {
    const n = this.need(path);
    return { name: basename(path), type: n.type, size: n.type === "file" ? n.data.length : 0 };
  }

  readdir(path: string): FsStat[] {
    const n = this.need(path);
    if (n.type !== "dir") throw fsError("NOTDIR", path);
    return [...n.children.entries()]
      .sort(([a], [b]) => compareNames(a, b))
      .map(([name, c]) => ({ name, type: c.type, size: c.type === "file" ? c.data.length : 0 }));
  }

  mkdir(path: string): void {
    this.writable(path);
    const { parent, name } = this.parentOf(path);
    if (parent.children.has(name)) throw fsError("EXIST", path);
    parent.children.set(name, newNode("dir"));
  }

  remove(path: string): void {
    this.writable(path);
    const { parent, name } = this.parentOf(path);
    const n = parent.children.get(name);
    if (n === undefined) throw fsError("NOENT", path);
    if (n.type === "dir" && n.children.size > 0) throw fsError("NOTEMPTY", path);
    parent.children.delete(name);
  }

  rename(from: string, to: string): void {
    this.writable(from);
    const src = this.parentOf(from);
    const node = src.parent.children.get(src.name);
    if (node === undefined) throw fsError("NOENT", from);
    const dst = this.parentOf(to);
    const existing = dst.parent.children.get(dst.name);
    if (existing === node) return;
    if (existing !== undefined) {
      if (existing.type !== node.type) throw fsError(existing.type === "dir" ? "ISDIR" : "NOTDIR", to);
      if (existing.type === "dir" && existing.children.size > 0) throw fsError("NOTEMPTY", to);
    }
    src.parent.children.delete(src.name);
    dst.parent.children.set(dst.name, node);
  }

  open(path: string, flags: OpenFlags): FsFile {
    if (!flags.read && !flags.write) throw fsError("INVAL", path, "open needs read or write");
    if (flags.write) this.writable(path);
    let node = this.lookup(path);
    if (node === undefined) {
      if (!flags.create) throw fsError("NOENT", path);
      const { parent, name } = this.parentOf(path);
      node = newNode("file");
      parent.children.set(name, node);
    } else if (flags.create && flags.exclusive) {
      throw fsError("EXIST", path);
    }
    if (node.type === "dir") throw fsError("ISDIR", path);
    if (flags.truncate) node.data = new Uint8Array(0);
    return new MemoryFile(node, flags, path);
  }

  getAttr(path: string, type: number): Uint8Array | undefined {
    return this.need(path).attrs.get(type)?.slice();
  }

  setAttr(path: string, type: number, value: Uint8Array): void {
    this.writable(path);
    this.need(path).attrs.set(type, value.slice());
  }

  removeAttr(path: string, type: number): void {
    this.writable(path);
    this.need(path).attrs.delete(type);
  }

  usage(): FsUsage {
    return { blockSize: 4096, blockCount: 0, blocksUsed: 0 };
  }
}

class MemoryFile implements FsFile {
  private pos = 0;
  private closed = false;
  constructor(
    private readonly node: MemNode,
    private readonly flags: OpenFlags,
    private readonly path: string,
  ) {}

  private live(): void {
    if (this.closed) throw fsError("BADF", this.path);
  }

  read(into: Uint8Array): number {
    this.live();
    if (!this.flags.read) throw fsError("BADF", this.path, "file not open for reading");
    const n = Math.max(0, Math.min(into.length, this.node.data.length - this.pos));
    into.set(this.node.data.subarray(this.pos, this.pos + n));
    this.pos += n;
    return n;
  }

  write(data: Uint8Array): number {
    this.live();
    if (!this.flags.write) throw fsError("BADF", this.path, "file not open for writing");
    if (this.flags.append) this.pos = this.node.data.length;
    const end = this.pos + data.length;
    if (end > this.node.data.length) {
      const grown = new Uint8Array(end);
      grown.set(this.node.data);
      this.node.data = grown;
    }
    this.node.data.set(data, this.pos);
    this.pos = end;
    return data.length;
  }

  seek(offset: number, whence: Whence = Whence.Set): number {
    this.live();
    const base = whence === Whence.Set ? 0 : whence === Whence.Cur ? this.pos : this.node.data.length;
    const p = base + offset;
    if (p < 0) throw fsError("INVAL", this.path, "seek before the start of the file");
    this.pos = p;
    return p;
  }

  tell(): number {
    return this.pos;
  }

  size(): number {
    return this.node.data.length;
  }

  truncate(size: number): void {
    this.live();
    const next = new Uint8Array(size);
    next.set(this.node.data.subarray(0, size));
    this.node.data = next;
  }

  sync(): void {
    this.live();
  }

  close(): void {
    this.closed = true;
  }
}
