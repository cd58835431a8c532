import { EnvironmentPool } from '../../local/environment-pool.ts';

/** A task that holds its environment until released, and notes who ran where. */
function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { open, opened };
}

class Discard extends Error {}

describe('EnvironmentPool', () => {
  it('creates environments only as invocations overlap, up to its size, and queues the rest in order', async () => {
    // GIVEN a pool of 2 whose environments are numbered as created
    const created: number[] = [];
    const pool = new EnvironmentPool({
      size: 2,
      create: (index) => {
        created.push(index);
        return `env${index}`;
      },
    });
    const ran: string[] = [];
    const gates = [gate(), gate(), gate()];
    // WHEN three invocations start at once
    const runs = gates.map((g, i) =>
      pool.run(async ({ handler }) => {
        ran.push(`${i}@${handler}`);
        await g.opened;
      }),
    );
    await new Promise((wake) => setImmediate(wake));
    // THEN two run in two new environments and the third waits
    expect(created).toEqual([0, 1]);
    expect(ran).toEqual(['0@env0', '1@env1']);
    // WHEN the second finishes
    gates[1]!.open();
    await runs[1];
    await new Promise((wake) => setImmediate(wake));
    // THEN the third runs in the environment it freed, and no third environment exists
    expect(ran).toEqual(['0@env0', '1@env1', '2@env1']);
    gates[0]!.open();
    gates[2]!.open();
    await Promise.all(runs);
    expect(pool.created).toBe(2);
  });

  it('reuses the most recently used idle environment, as Lambda keeps warm ones busy', async () => {
    const pool = new EnvironmentPool({ size: 4, create: (index) => index });
    const first = gate();
    const a = pool.run(async () => first.opened);
    await pool.run(async () => undefined);
    first.open();
    await a;
    // Environment 0 was released last.
    expect(await pool.run(async ({ index }) => index)).toBe(0);
    expect(pool.created).toBe(2);
  });

  it('retires an environment whose invocation was discarded and gives its place to a new one', async () => {
    // GIVEN a pool of one whose invocation times out (a discard)
    const pool = new EnvironmentPool({ size: 1, create: (index) => index });
    const waiting = gate();
    const timedOut = pool.run(
      async () => {
        throw new Discard('timed out');
      },
      (error) => error instanceof Discard,
    );
    const next = pool.run(async ({ index }) => {
      await waiting.opened;
      return index;
    });
    // WHEN the next invocation runs
    await expect(timedOut).rejects.toThrow('timed out');
    waiting.open();
    // THEN it runs in a new environment, never in the discarded one
    expect(await next).toBe(1);
    expect(pool.created).toBe(2);
  });

  it('keeps an environment whose invocation failed without a discard', async () => {
    const pool = new EnvironmentPool({ size: 1, create: (index) => index });
    await expect(pool.run(async () => Promise.reject(new Error('handler error')))).rejects.toThrow();
    expect(await pool.run(async ({ index }) => index)).toBe(0);
  });

  it('fails the invocation, and frees the place, when an environment cannot be created', async () => {
    let attempts = 0;
    const pool = new EnvironmentPool({
      size: 1,
      create: () => {
        attempts += 1;
        if (attempts === 1) throw new Error('module failed to load');
        return 'env';
      },
    });
    await expect(pool.run(async () => 'ran')).rejects.toThrow('module failed to load');
    expect(await pool.run(async ({ handler }) => handler)).toBe('env');
  });

  it('creates the first environment on warm(), once, and runs the first invocation there', async () => {
    const created: number[] = [];
    const pool = new EnvironmentPool({
      size: 2,
      create: (index) => {
        created.push(index);
        return index;
      },
    });
    await pool.warm();
    await pool.warm();
    expect(created).toEqual([0]);
    expect(await pool.run(async ({ index }) => index)).toBe(0);
    expect(pool.created).toBe(1);
  });
});
