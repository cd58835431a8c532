/**
 * Fault injection on real SDK clients: the client's `send` is wrapped so that chosen commands
 * fail, hang (a crash: the invocation never gets further) or are slowed, a set number of times,
 * while every other call goes to the emulator unchanged.
 */

/** What happens to a matching call. */
export type FaultMode =
  /** Rejects as the service would with a 500. */
  | 'fail'
  /** Never settles: the invocation is stuck there, as a crashed or timed-out Lambda is. */
  | 'hang'
  /** Goes through after `delayMs`. */
  | 'slow'
  /**
   * Goes through, then never answers: a crash right after the call succeeded. Its effect is done
   * (the message is sent, the item written), and the invocation never learns of it.
   */
  | 'succeed-then-crash';

/** One armed fault. */
export interface Fault {
  /** The command's class name, e.g. `PutItemCommand`, `SendMessageCommand`. */
  readonly command: string;
  readonly mode: FaultMode;
  /** @default 1 */
  readonly times?: number;
  /** For `slow`. @default 0 */
  readonly delayMs?: number;
}

/** A client whose calls can be faulted. */
export interface FaultInjector {
  /** Arms faults; each fires on the next matching calls. */
  arm(...faults: Fault[]): void;
  /** Disarms everything. */
  reset(): void;
  /** Commands sent so far, by class name (faulted ones included). */
  readonly calls: Map<string, number>;
  /** Armed faults that have not fired yet. */
  readonly pending: number;
}

interface Armed {
  command: string;
  mode: FaultMode;
  remaining: number;
  delayMs: number;
}

/** Wraps `client.send` in place. */
export function injectFaults(client: { send: (...args: never[]) => Promise<unknown> }): FaultInjector {
  const original = client.send.bind(client) as (command: unknown, ...rest: unknown[]) => Promise<unknown>;
  let armed: Armed[] = [];
  const calls = new Map<string, number>();
  (client as { send: unknown }).send = async (
    command: { constructor: { name: string } },
    ...rest: unknown[]
  ) => {
    const name = command.constructor.name;
    calls.set(name, (calls.get(name) ?? 0) + 1);
    const fault = armed.find((a) => a.command === name && a.remaining > 0);
    if (!fault) return original(command, ...rest);
    fault.remaining -= 1;
    switch (fault.mode) {
      case 'fail': {
        const error = new Error(`injected failure of ${name}`);
        Object.assign(error, {
          name: 'InternalServerError',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
        });
        throw error;
      }
      case 'hang':
        return new Promise(() => {});
      case 'slow':
        await new Promise((wake) => setTimeout(wake, fault.delayMs));
        return original(command, ...rest);
      case 'succeed-then-crash':
        await original(command, ...rest);
        return new Promise(() => {});
    }
  };
  return {
    arm: (...faults) => {
      armed.push(
        ...faults.map((f) => ({
          command: f.command,
          mode: f.mode,
          remaining: f.times ?? 1,
          delayMs: f.delayMs ?? 0,
        })),
      );
    },
    reset: () => {
      armed = [];
    },
    calls,
    get pending() {
      return armed.reduce((sum, a) => sum + a.remaining, 0);
    },
  };
}
