/**
 * Starts an emulator process that ends by itself when the process that started it dies, however
 * it dies (SIGKILL included), so that a killed `npm start` or test run never leaves DynamoDB
 * Local's Java running with its port and memory.
 *
 * How: a POSIX shell starts a reader in the background, then replaces itself with the command
 * (`exec`, so the command keeps the pid that `spawn` returned and receives signals sent to it).
 * The reader holds the read end of the command's stdin pipe, whose only writer is the parent:
 * when the parent exits, the kernel closes the write end, the reader sees end-of-file and sends
 * the command SIGTERM. Works wherever `sh` does (Linux, macOS); no polling.
 */
import { type ChildProcess, spawn } from 'node:child_process';

const WATCHDOG_SCRIPT = [
  // A background job's stdin is /dev/null unless redirected explicitly, hence fd 4.
  'exec 4<&0',
  '(while read -r _; do :; done; kill -TERM $$ 2>/dev/null) <&4 4<&- &',
  'exec "$@" </dev/null 4<&-',
].join('\n');

/** The exit code of `sh` when the command cannot be found. */
export const COMMAND_NOT_FOUND_EXIT_CODE = 127;

/**
 * Spawns `command` tied to this process: it receives SIGTERM when this process dies. Its pid is
 * the command's own; `stop` it as any child (e.g. with `stopProcess`).
 *
 * @example
 * const java = spawnTiedToParent('java', ['-jar', 'DynamoDBLocal.jar'], { cwd });
 */
export function spawnTiedToParent(
  command: string,
  args: readonly string[],
  options: { readonly cwd?: string } = {},
): ChildProcess {
  const child = spawn('sh', ['-c', WATCHDOG_SCRIPT, 'watchdog', command, ...args], {
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // The pipe only signals this process's death; nothing is ever written to it.
  child.stdin?.on('error', () => {});
  // Once the command is gone, the reader must not outlive it (it would signal a reused pid later).
  child.once('exit', () => child.stdin?.destroy());
  return child;
}
