/**
 * The listening TCP sockets of processes, read from Linux's /proc (no `ss`, no `lsof`): each
 * process's open socket inodes from `/proc/<pid>/fd`, matched against the network namespace's
 * socket tables `/proc/<pid>/net/tcp` and `tcp6`.
 */
import { readdir, readFile, readlink } from 'node:fs/promises';
import { endianness } from 'node:os';

/** One listening TCP socket. */
export interface ListeningSocket {
  /** The address it is bound to, e.g. `127.0.0.1`, `::`, `::ffff:127.0.0.1`. */
  readonly address: string;
  readonly port: number;
  readonly inode: number;
}

/** TCP_LISTEN in the kernel's state numbering, as the `st` column shows it. */
const LISTEN_STATE = '0A';

/**
 * The kernel writes each 32-bit word of an address in host byte order: on a little-endian
 * machine, `0100007F` is 127.0.0.1.
 */
function addressBytes(hex: string): Buffer {
  const words = hex.match(/.{8}/g) ?? [];
  return Buffer.concat(
    words.map((word) => {
      const bytes = Buffer.from(word, 'hex');
      return endianness() === 'LE' ? bytes.reverse() : bytes;
    }),
  );
}

function formatAddress(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join('.');
  const groups = Array.from({ length: 8 }, (_, index) => bytes.readUInt16BE(index * 2));
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return `::ffff:${[...bytes.subarray(12)].join('.')}`;
  }
  if (groups.every((group) => group === 0)) return '::';
  if (groups.slice(0, 7).every((group) => group === 0)) return `::${groups[7]!.toString(16)}`;
  return groups.map((group) => group.toString(16)).join(':');
}

/** Every listening TCP socket of the network namespace `pid` lives in (IPv4 and IPv6). */
export async function listeningSocketsOfNamespace(pid: number | 'self' = 'self'): Promise<ListeningSocket[]> {
  const sockets: ListeningSocket[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const text = await readFile(`/proc/${pid}/net/${table}`, 'utf8').catch(() => '');
    for (const line of text.trim().split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      const [addressHex, portHex] = (columns[1] ?? '').split(':');
      if (columns[3] !== LISTEN_STATE || !addressHex || !portHex) continue;
      sockets.push({
        address: formatAddress(addressBytes(addressHex)),
        port: Number.parseInt(portHex, 16),
        inode: Number(columns[9]),
      });
    }
  }
  return sockets;
}

/** The socket inodes `pid` holds open (empty once it has exited). */
async function socketInodes(pid: number): Promise<Set<number>> {
  const inodes = new Set<number>();
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(Number(inode));
  }
  return inodes;
}

/** `root` and every process below it (children, their children, …), from /proc/<pid>/stat. */
export async function processTree(root: number): Promise<number[]> {
  const children = new Map<number, number[]>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // The command name, in parentheses, may hold spaces: the parent pid is the second field after it.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (stat) children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const tree = [root];
  for (let index = 0; index < tree.length; index += 1) tree.push(...(children.get(tree[index]!) ?? []));
  return tree;
}

/** The listening TCP sockets that the process tree under `root` (itself included) holds. */
export async function listeningSocketsOfTree(root: number): Promise<ListeningSocket[]> {
  const pids = await processTree(root);
  const held = new Set<number>();
  for (const pid of pids) for (const inode of await socketInodes(pid)) held.add(inode);
  const all = await listeningSocketsOfNamespace(root);
  return all.filter((socket) => held.has(socket.inode));
}

/** Whether `address` is a loopback address: 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6. */
export function isLoopback(address: string): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address);
}
