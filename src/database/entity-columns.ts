import { Column, ColumnOptions, ValueTransformer } from 'typeorm';

/** Datetime with millisecond precision, stored in UTC on both databases. */
export function DateTimeColumn(
  name: string,
  options: Pick<ColumnOptions, 'nullable'> = {},
): PropertyDecorator {
  return Column({ name, type: 'datetime', precision: 3, nullable: options.nullable ?? false });
}

/** mysql2 hands BIGINT back as a string; the application wants numbers (ms timestamps fit). */
export const bigintTransformer: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | number | null) => (v === null || v === undefined ? v : Number(v)),
};

/** JSON kept in a text column, identical on SQLite and MySQL. */
export function jsonTransformer<T>(): ValueTransformer {
  return {
    to: (v: T | null | undefined) => (v === null || v === undefined ? v : JSON.stringify(v)),
    from: (v: string | null) => (v === null || v === undefined ? v : (JSON.parse(v) as T)),
  };
}
