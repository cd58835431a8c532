import { FORCED_EXIT_CODE, SAME_PRESS_WINDOW_MS, stopControl } from '../../local/stop-control.ts';

/** A stop control whose clock, exits and output the test holds; `finish` ends the stop. */
function harness(relayedByNpm: boolean) {
  let clock = 0;
  let finish!: () => void;
  const exits: number[] = [];
  const written: string[] = [];
  const control = stopControl({
    stopAll: () => new Promise<void>((done) => (finish = done)),
    relayedByNpm,
    write: (text) => written.push(text),
    exit: (code) => exits.push(code),
    now: () => clock,
  });
  return {
    control,
    exits,
    written,
    finish: () => finish(),
    advance: (ms: number) => (clock += ms),
  };
}

const settled = () => new Promise((done) => setImmediate(done));

describe('stopControl (how npm start stops)', () => {
  it('under npm, takes the relayed copy of a Ctrl-C for the same press however late it comes', async () => {
    // GIVEN npm start under npm, stopping after a Ctrl-C
    const { control, exits, finish, advance } = harness(true);
    control.stop('SIGINT received', 0, 'SIGINT');
    // WHEN npm's copy of that Ctrl-C arrives 3 s later (a busy machine)
    advance(3 * SAME_PRESS_WINDOW_MS);
    control.stop('SIGINT received', 0, 'SIGINT');
    await settled();
    // THEN nothing is forced, and the stop ends cleanly with 0
    expect(exits).toEqual([]);
    finish();
    await settled();
    expect(exits).toEqual([0]);
  });

  it('under npm, a second Ctrl-C (a third SIGINT) forces the exit with 130', async () => {
    const { control, exits, written } = harness(true);
    control.stop('SIGINT received', 0, 'SIGINT');
    control.stop('SIGINT received', 0, 'SIGINT');
    control.stop('SIGINT received', 0, 'SIGINT');
    expect(exits).toEqual([FORCED_EXIT_CODE]);
    expect(written.join('')).toContain('SIGINT received again: exiting now');
  });

  it('without npm, a repeat within the window is the same press; a later one forces', () => {
    const { control, exits, advance } = harness(false);
    control.stop('SIGINT received', 0, 'SIGINT');
    advance(SAME_PRESS_WINDOW_MS - 1);
    control.stop('SIGINT received', 0, 'SIGINT');
    expect(exits).toEqual([]);
    advance(1);
    control.stop('SIGINT received', 0, 'SIGINT');
    expect(exits).toEqual([FORCED_EXIT_CODE]);
  });

  it('stops once whatever asks, and exits with the code of the first ask', async () => {
    const { control, exits, written, finish } = harness(true);
    expect(control.requested).toBe(false);
    control.stop('error: DynamoDB Local exited', 1);
    expect(control.requested).toBe(true);
    control.stop('the process that started npm start exited');
    finish();
    await settled();
    expect(exits).toEqual([1]);
    expect(written.join('')).toBe(
      '\nerror: DynamoDB Local exited: stopping the local pipeline…\nlocal pipeline stopped\n',
    );
  });

  it('fails with 1 when the stop itself fails, saying why', async () => {
    const exits: number[] = [];
    const written: string[] = [];
    const control = stopControl({
      stopAll: () => Promise.reject(new Error('port busy')),
      relayedByNpm: false,
      write: (text) => written.push(text),
      exit: (code) => exits.push(code),
    });
    control.stop('SIGTERM received', 0, 'SIGTERM');
    await settled();
    expect(exits).toEqual([1]);
    expect(written.join('')).toContain('could not stop cleanly: Error: port busy');
  });
});
