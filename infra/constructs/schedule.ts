import {
  Duration,
  aws_events as events,
  type aws_kms as kms,
  aws_lambda as lambda,
  type Stack,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import { deadLetterQueue } from './pathguard-function.js';

/**
 * Runs a function every interval, failed deliveries to a dead-letter queue. The rule and the
 * function reference it targets live in the stack itself: the rule's Lambda permission is named
 * after the target's construct path (Names.nodeUniqueId), so a target inside a section would
 * rename, and replace, that permission. The reference has the function's id at the stack level,
 * where the function stood before the stack had sections.
 */
export function scheduleFunction(
  stack: Stack,
  id: string,
  fn: lambda.IFunction,
  minutes: number,
  key: kms.IKey,
): void {
  const dlq = deadLetterQueue(stack, `${id}Dlq`, key);
  const target = lambda.Function.fromFunctionAttributes(stack, fn.node.id, {
    functionArn: fn.functionArn,
    sameEnvironment: true,
  });
  new events.Rule(stack, id, {
    schedule: events.Schedule.rate(Duration.minutes(minutes)),
    targets: [
      new targets.LambdaFunction(target, {
        deadLetterQueue: dlq,
        retryAttempts: 2,
        maxEventAge: Duration.minutes(minutes),
      }),
    ],
  });
}
