import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

/**
 * Powertools singletons shared by the handlers. Log messages are constant strings with data in
 * fields; never log a raw event or an unredacted URL (see shared/endpoints/redact.ts).
 */
export const logger = new Logger({ serviceName: 'pathguard' });
export const metrics = new Metrics({ namespace: 'PathGuard', serviceName: 'pathguard' });
