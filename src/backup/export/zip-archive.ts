import archiver, { Archiver, ArchiverOptions } from 'archiver';

/**
 * archiver 7 (installed) exports a factory function; the installed @types/archiver 8 describe
 * version 8's classes instead. This is the one place that bridges the two.
 */
const factory = archiver as unknown as (format: 'zip', options?: ArchiverOptions) => Archiver;

export function createZip(options: ArchiverOptions = {}): Archiver {
  return factory('zip', options);
}
