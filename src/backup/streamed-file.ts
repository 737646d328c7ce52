import type { Readable } from 'node:stream';
import { StreamableFile } from '@nestjs/common';
import type { Response } from 'express';
import { errorBody } from '../common/filters/error-body';

/**
 * A streamed response body. A failure before the first byte answers 500 with the usual error body;
 * a failure later cuts the connection, so a client never takes a truncated download for a whole one.
 */
export function streamedFile(stream: Readable): StreamableFile {
  return new StreamableFile(stream).setErrorHandler((_err, res) => {
    const response = res as Response;
    if (response.destroyed) return;
    if (response.headersSent) response.destroy();
    else response.status(500).json(errorBody('Internal server error'));
  });
}
