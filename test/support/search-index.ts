import { DataSource } from 'typeorm';

/**
 * What the search index holds, whichever way the database keeps it: FTS5 documents on SQLite (one
 * per message), term rows on MySQL (one per term and message). The index's table, and its column
 * naming the message.
 */
const indexTable = (ds: DataSource) =>
  ds.options.type === 'better-sqlite3'
    ? ['backup_message_fts', 'rowid']
    : ['backup_message_terms', 'message_pk'];

/** Index entries of one message (by its pk), or of every message. */
export async function indexEntries(ds: DataSource, messagePk?: number): Promise<number> {
  const [table, column] = indexTable(ds);
  const [{ n }] = await ds.query(
    `SELECT COUNT(*) AS n FROM ${table}${messagePk === undefined ? '' : ` WHERE ${column} = ?`}`,
    messagePk === undefined ? [] : [messagePk],
  );
  return Number(n);
}

/** Index entries of messages that no longer exist. */
export async function orphanIndexEntries(ds: DataSource): Promise<number> {
  const [table, column] = indexTable(ds);
  const [{ n }] = await ds.query(
    `SELECT COUNT(*) AS n FROM ${table} t LEFT JOIN backup_messages m ON m.id = t.${column} WHERE m.id IS NULL`,
  );
  return Number(n);
}

/** Removes one message's entries, as if the indexer had never written them. */
export async function dropIndexEntries(ds: DataSource, messagePk: number): Promise<void> {
  const [table, column] = indexTable(ds);
  await ds.query(`DELETE FROM ${table} WHERE ${column} = ?`, [messagePk]);
}

export async function messagePk(ds: DataSource, entryKey: string): Promise<number> {
  const [{ id }] = await ds.query('SELECT id FROM backup_messages WHERE entry_key = ?', [entryKey]);
  return Number(id);
}
