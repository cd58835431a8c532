/**
 * What a running `npm start` tells the other tools on the machine (the CLI's `status`, `redrive`
 * and `replay`, the inspector's tests): where its gateway, emulators, tables and queues are. It is
 * written to a git-ignored file when the pipeline is ready and removed when it stops; `/healthz`
 * answers the same object.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { REPO_ROOT } from '../dev/signing-secrets.ts';

/** The emulators accept any credentials; these never leave the machine. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** The environment variable that moves the state file (tests that run their own pipeline). */
export const LOCAL_STATE_FILE_ENV_VAR = 'OFAUTH_LOCAL_STATE_FILE';

/** Where a running local pipeline describes itself, unless {@link LOCAL_STATE_FILE_ENV_VAR} says otherwise. */
export const LOCAL_STATE_FILE = resolve(REPO_ROOT, '.local', 'pipeline.json');

/** A running local pipeline, as other tools on this machine find it. */
export interface LocalPipelineState {
  /** The webhook URL. */
  readonly url: string;
  readonly port: number;
  /** The pid of the process that runs the pipeline. */
  readonly pid: number;
  readonly region: string;
  readonly endpoints: {
    readonly dynamodb: string;
    readonly sqs: string;
    /** The local stand-in for the archive's storage, when the archive is on. */
    readonly archive?: string;
    /**
     * The recording event bus (`local/event-bus.ts`), which `tail` reads; absent in the file of a
     * pipeline started before it was written there.
     */
    readonly eventBus?: string;
  };
  readonly resources: {
    readonly ledgerTableName: string;
    readonly connectionsTableName: string;
    readonly queueUrl: string;
    readonly deadLetterQueueUrl: string;
    /** Where the archive keeps events, when it is on (a bucket or table name). */
    readonly archive?: string;
    /** The processed-events record's table. */
    readonly processedEventsTableName?: string;
  };
  /** ISO-8601 time the pipeline became ready. */
  readonly startedAt: string;
}

/** The state file's path: `$OFAUTH_LOCAL_STATE_FILE` when set, else {@link LOCAL_STATE_FILE}. */
export function localStateFile(env: Readonly<Record<string, string | undefined>> = process.env): string {
  const configured = env[LOCAL_STATE_FILE_ENV_VAR]?.trim();
  return configured ? resolve(configured) : LOCAL_STATE_FILE;
}

/** Writes the state of a pipeline that is ready. */
export async function writeLocalState(state: LocalPipelineState, file = localStateFile()): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

/** Removes the state file, if it still describes this process. */
export async function removeLocalState(file = localStateFile(), pid = process.pid): Promise<void> {
  const state = await readLocalState(file);
  if (state && state.pid === pid) await rm(file, { force: true });
}

/**
 * The state of a local pipeline whose process is still alive, or `undefined` when none runs (no
 * file, an unreadable file, or a file left behind by a process that is gone).
 */
export async function readLocalState(file = localStateFile()): Promise<LocalPipelineState | undefined> {
  if (!existsSync(file)) return undefined;
  let state: LocalPipelineState;
  try {
    state = JSON.parse(await readFile(file, 'utf8')) as LocalPipelineState;
  } catch {
    return undefined;
  }
  if (typeof state?.pid !== 'number' || !isAlive(state.pid)) return undefined;
  return state;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
