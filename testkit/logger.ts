/**
 * The logger of in-process workers and activities under test, silent unless TEST_LOG_LEVEL says
 * otherwise. Importing it installs the SDK runtime once per process (its logs go to the same logger).
 */
import { createLogger } from '../worker/logger';
import { installRuntime } from '../worker/runtime';

export const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
installRuntime(logger, 'WARN');
