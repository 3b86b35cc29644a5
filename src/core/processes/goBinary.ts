/**
 * Is this executable a Go program, and which Go built it? The Go linker puts a "build info" blob
 * (magic "\xff Go buildinf:" then, since Go 1.18, the version string inline) in its own section —
 * `.go.buildinfo` (ELF), `__go_buildinfo` (Mach-O) — or near the start of the first data section
 * (PE). Reading the section table and one small blob costs a few KiB of reads per binary, where
 * `go version <exe>` would cost a process spawn (and a Go toolchain) per process in the picker.
 * Mirrors the standard library's debug/buildinfo.
 */
import { promises as fsp } from 'fs';

/** What the build info says; `version` is undefined for Go older than 1.18 (version not inline). */
export interface GoBuildInfo {
  readonly version?: string;
}

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
/** The ELF section that holds the build information blob. */
const BUILDINFO_SECTION = Buffer.from('.go.buildinfo', 'latin1');
const HEADER_SIZE = 32;
const FLAGS_VERSION_INLINE = 0x2;
/** Where the blob is not in its own section, how far into the data section to look (the linker puts it first). */
const PE_SEARCH_BYTES = 64 * 1024;
/** Upper bounds on what a malformed file can make us read. */
const MAX_TABLE_BYTES = 1024 * 1024;

type Reader = (position: number, length: number) => Promise<Buffer>;

/** Reads the build info of the executable at `path`; undefined when it is not a Go binary (or unreadable). */
export async function readGoBuildInfo(path: string): Promise<GoBuildInfo | undefined> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(path, 'r');
    const file = handle;
    const read: Reader = async (position, length) => {
      if (length < 0 || length > MAX_TABLE_BYTES || position < 0) throw new Error('implausible size');
      const buf = Buffer.alloc(length);
      const { bytesRead } = await file.read(buf, 0, length, position);
      return buf.subarray(0, bytesRead);
    };
    const head = await read(0, 64);
    if (head.length < 16) return undefined;
    let blob: Buffer | undefined;
    if (head.readUInt32BE(0) === 0x7f454c46) blob = await elfBlob(head, read);
    else if (head.readUInt16LE(0) === 0x5a4d) blob = await peBlob(head, read);
    else blob = await machoBlob(head, read, 0);
    return blob ? decodeBlob(blob) : undefined;
  } catch {
    // Unreadable (permissions, a deleted or truncated file): we just cannot say it is Go.
    return undefined;
  } finally {
    await handle?.close();
  }
}

/** Decodes the 32-byte header and, for Go ≥ 1.18, the inline version string. */
export function decodeBlob(blob: Buffer): GoBuildInfo | undefined {
  if (blob.length < HEADER_SIZE || !blob.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const flags = blob[15];
  if ((flags & FLAGS_VERSION_INLINE) === 0) return {};
  // A uvarint length, then the bytes.
  let length = 0;
  let shift = 0;
  let offset = HEADER_SIZE;
  for (; offset < blob.length && shift < 35; offset++, shift += 7) {
    const byte = blob[offset];
    length |= (byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) {
      offset++;
      break;
    }
  }
  if (length <= 0 || length > 128 || offset + length > blob.length) return {};
  const version = blob.toString('utf8', offset, offset + length);
  return /^go\d/.test(version) || /^devel/.test(version) ? { version } : {};
}

async function elfBlob(head: Buffer, read: Reader): Promise<Buffer | undefined> {
  const is64 = head[4] === 2;
  const little = head[5] === 1;
  const u16 = (b: Buffer, o: number) => (little ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (b: Buffer, o: number) => (little ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const uword = (b: Buffer, o: number) =>
    is64 ? Number(little ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o);
  const shoff = uword(head, is64 ? 0x28 : 0x20);
  const shentsize = u16(head, is64 ? 0x3a : 0x2e);
  const shnum = u16(head, is64 ? 0x3c : 0x30);
  const shstrndx = u16(head, is64 ? 0x3e : 0x32);
  if (!shoff || !shnum || shstrndx >= shnum || shentsize < (is64 ? 64 : 40)) return undefined;
  const table = await read(shoff, shnum * shentsize);
  if (table.length < shnum * shentsize) return undefined;
  const section = (i: number) => {
    const o = i * shentsize;
    return {
      name: u32(table, o),
      offset: uword(table, o + (is64 ? 0x18 : 0x10)),
      size: uword(table, o + (is64 ? 0x20 : 0x14)),
    };
  };
  const strtab = section(shstrndx);
  const names = await read(strtab.offset, Math.min(strtab.size, MAX_TABLE_BYTES));
  // Compare each name in place, bytes against bytes: finding each name's end first would scan a
  // crafted string table with no NUL once per section (16k × 1 MiB — seconds of a frozen host).
  const wanted = BUILDINFO_SECTION;
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    const end = s.name + wanted.length;
    if (end < names.length && names[end] === 0 && names.compare(wanted, 0, wanted.length, s.name, end) === 0) return read(s.offset, Math.min(s.size, 512));
  }
  return undefined;
}

async function machoBlob(head: Buffer, read: Reader, base: number): Promise<Buffer | undefined> {
  const magicBE = head.readUInt32BE(0);
  // Universal binary: look inside the first architecture's slice.
  if ((magicBE === 0xcafebabe || magicBE === 0xcafebabf) && base === 0) {
    const nfat = head.readUInt32BE(4);
    if (nfat < 1 || nfat > 32) return undefined;
    const offset = head.readUInt32BE(8 + 8);
    return machoBlob(await read(offset, 64), read, offset);
  }
  const magicLE = head.readUInt32LE(0);
  if (magicLE !== 0xfeedfacf && magicLE !== 0xfeedface) return undefined;
  const is64 = magicLE === 0xfeedfacf;
  const ncmds = head.readUInt32LE(16);
  const sizeofcmds = head.readUInt32LE(20);
  const headerSize = is64 ? 32 : 28;
  const cmds = await read(base + headerSize, sizeofcmds);
  let o = 0;
  for (let i = 0; i < ncmds && o + 8 <= cmds.length; i++) {
    const cmd = cmds.readUInt32LE(o);
    const cmdsize = cmds.readUInt32LE(o + 4);
    if (cmdsize < 8) return undefined;
    const isSegment = (is64 && cmd === 0x19) || (!is64 && cmd === 0x1);
    if (isSegment) {
      const segHeader = is64 ? 72 : 56;
      const sectSize = is64 ? 80 : 68;
      const nsects = cmds.readUInt32LE(o + (is64 ? 64 : 48));
      for (let s = 0; s < nsects; s++) {
        const so = o + segHeader + s * sectSize;
        if (so + sectSize > cmds.length) break;
        const name = cmds.toString('latin1', so, so + 16).replace(/\0.*$/s, '');
        if (name === '__go_buildinfo') {
          const size = is64 ? Number(cmds.readBigUInt64LE(so + 40)) : cmds.readUInt32LE(so + 36);
          const offset = cmds.readUInt32LE(so + (is64 ? 48 : 40));
          return read(base + offset, Math.min(size, 512));
        }
      }
    }
    o += cmdsize;
  }
  return undefined;
}

async function peBlob(head: Buffer, read: Reader): Promise<Buffer | undefined> {
  const peOffset = head.readUInt32LE(0x3c);
  const coff = await read(peOffset, 24);
  if (coff.length < 24 || coff.readUInt32BE(0) !== 0x50450000) return undefined;
  const nsections = coff.readUInt16LE(6);
  const optionalSize = coff.readUInt16LE(20);
  const table = await read(peOffset + 24 + optionalSize, nsections * 40);
  const INITIALIZED_DATA_READ_WRITE = 0x40 | 0x40000000 | 0x80000000;
  const ALIGN_32 = 0x600000;
  for (let i = 0; i < nsections && (i + 1) * 40 <= table.length; i++) {
    const o = i * 40;
    const virtualSize = table.readUInt32LE(o + 8);
    const virtualAddress = table.readUInt32LE(o + 12);
    const rawSize = table.readUInt32LE(o + 16);
    const rawPointer = table.readUInt32LE(o + 20);
    const characteristics = table.readUInt32LE(o + 36);
    // Same rule as debug/buildinfo: the first writable, initialized data section.
    if (virtualAddress !== 0 && virtualSize !== 0 && (characteristics & ~ALIGN_32) === INITIALIZED_DATA_READ_WRITE) {
      const data = await read(rawPointer, Math.min(rawSize, PE_SEARCH_BYTES));
      for (let at = data.indexOf(MAGIC); at >= 0; at = data.indexOf(MAGIC, at + 1)) {
        if (at % 16 === 0) return data.subarray(at, at + 512);
      }
      return undefined;
    }
  }
  return undefined;
}
