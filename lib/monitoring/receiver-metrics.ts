/**
 * The receiver's own EMF metrics, as the alarms and the dashboard read them: always narrowed to
 * this receiver's namespace and `service` values, so that nothing of another receiver in the same
 * account is ever counted.
 */
import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { MathExpression, Metric, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { ReceiverMetricsIdentity } from '../receiver/identity.ts';

/** Powertools Metrics' default dimension, set from POWERTOOLS_SERVICE_NAME. */
export const SERVICE_DIMENSION = 'service';
/** The period of the receiver's alarms and graphs. */
export const FIVE_MINUTES = Duration.minutes(5);
/** The period of queue depth and concurrency. */
export const ONE_MINUTE = Duration.minutes(1);

/** The receiver's resources the alarms and the dashboard both watch. */
export interface WatchedResources {
  readonly httpApi: IHttpApi;
  readonly verifier: IFunction;
  readonly processor: IFunction;
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  /** The threshold of the oldest-message alarm, also drawn on the queue graph. */
  readonly oldestMessageAgeSeconds: number;
}

/** Which function published a metric. */
export type ReceiverFunctionName = 'verifier' | 'processor';

/** Builds metrics and SEARCH expressions over one receiver's EMF metrics. */
export class ReceiverMetrics {
  constructor(readonly identity: ReceiverMetricsIdentity) {}

  /** The `service` value of one function. */
  service(fn: ReceiverFunctionName): string {
    return fn === 'verifier' ? this.identity.verifierService : this.identity.processorService;
  }

  /** A metric that carries only the `service` dimension, summed over 5 minutes. */
  metric(fn: ReceiverFunctionName, metricName: string, label?: string): Metric {
    return new Metric({
      namespace: this.identity.namespace,
      metricName,
      dimensionsMap: { [SERVICE_DIMENSION]: this.service(fn) },
      statistic: Stats.SUM,
      period: FIVE_MINUTES,
      ...(label !== undefined && { label }),
    });
  }

  /** Every series of a metric split by `dimension` (e.g. `reason`, `eventType`), for one function. */
  search(fn: ReceiverFunctionName, metricName: string, dimension: string, statistic: string): MathExpression {
    const { namespace } = this.identity;
    const service = this.service(fn);
    return new MathExpression({
      expression: `SEARCH('{${namespace},${dimension},${SERVICE_DIMENSION}} MetricName="${metricName}" ${SERVICE_DIMENSION}="${service}"', '${statistic}', 300)`,
      usingMetrics: {},
      label: '',
      period: FIVE_MINUTES,
    });
  }
}
