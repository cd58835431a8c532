import { Logger } from '@aws-lambda-powertools/logger';
import { type LogAttributes, ObservedLogger } from '../../local/inspector/observed-logger.ts';
import { captureStdout } from '../fixtures/output.ts';

describe('ObservedLogger', () => {
  it('hands each line to the sink with its appended keys, and prints exactly as a Logger does', () => {
    // GIVEN an observed logger and a plain one at the same level
    const lines: LogAttributes[] = [];
    const observed = new ObservedLogger({
      serviceName: 'svc',
      logLevel: 'INFO',
      sink: (line) => lines.push(line),
    });
    const plain = new Logger({ serviceName: 'svc', logLevel: 'INFO' });
    const output = captureStdout();
    try {
      // WHEN both log the same lines with an event's keys appended
      for (const logger of [observed, plain]) {
        logger.appendKeys({ eventId: 'evt-1' });
        logger.info('handled', { lagMs: 3 });
        logger.error('event failed', new Error('boom'));
        logger.debug('below the level');
      }
    } finally {
      output.restore();
    }
    // THEN the sink has every line, DEBUG included, with the event id and the error serialized
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'handled',
        eventId: 'evt-1',
        lagMs: 3,
        service: 'svc',
      }),
      expect.objectContaining({
        level: 'ERROR',
        message: 'event failed',
        eventId: 'evt-1',
        error: expect.objectContaining({ name: 'Error', message: 'boom' }),
      }),
      expect.objectContaining({ level: 'DEBUG', message: 'below the level', eventId: 'evt-1' }),
    ]);
    // AND the printed lines are the same for both loggers, the DEBUG one printed by neither
    const printed = output.lines().map(({ timestamp: _t, error, ...line }) => ({
      ...line,
      error: (error as { message?: string } | undefined)?.message,
    }));
    expect(printed).toHaveLength(4);
    expect(printed.slice(0, 2)).toEqual(printed.slice(2));
  });

  it('still records every line, the success path’s DEBUG ones included, while printing nothing (SILENT in tests)', () => {
    // GIVEN an observed logger that prints nothing
    const lines: LogAttributes[] = [];
    const observed = new ObservedLogger({
      serviceName: 'svc',
      logLevel: 'SILENT',
      sink: (line) => lines.push(line),
    });
    const output = captureStdout();
    try {
      // WHEN a processed event's DEBUG line and an INFO line are logged
      observed.debug('event processed');
      observed.info('recorded anyway');
    } finally {
      output.restore();
    }
    // THEN the inspector's timeline has both, and nothing was printed
    expect(lines.map((line) => line.message)).toEqual(['event processed', 'recorded anyway']);
    expect(output.lines()).toEqual([]);
  });

  it('never lets a failing sink fail the code that logs', () => {
    const observed = new ObservedLogger({
      serviceName: 'svc',
      logLevel: 'SILENT',
      sink: () => {
        throw new Error('sink broke');
      },
    });
    expect(() => observed.info('still fine')).not.toThrow();
  });

  it('passes its sink on to child loggers', () => {
    const lines: LogAttributes[] = [];
    const child = new ObservedLogger({
      serviceName: 'svc',
      logLevel: 'SILENT',
      sink: (line) => lines.push(line),
    }).createChild();
    child.info('from the child');
    expect(lines.map((line) => line.message)).toEqual(['from the child']);
  });
});
