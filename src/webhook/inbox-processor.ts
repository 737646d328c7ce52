/**
 * What the webhook needs from whatever processes the inbox. The in-process worker
 * (InboxWorker) is one implementation; a queue shared by several instances (BullMQ on Redis) can be
 * another: it would enqueue per chat on `notify` and run each row through InboxEventRunner, which
 * holds everything that does not depend on where the work is scheduled.
 */
export interface InboxProcessor {
  /**
   * New rows were committed to the inbox: per chat (null: events without a chat), the earliest
   * event timestamp among them.
   */
  notify(earliestByChat: ReadonlyMap<string | null, number>): void;

  /**
   * `rows` rows of these chats that had ended (failed) are pending again: they sort before where
   * each chat has got to, so its rows are read again from the first.
   */
  requeued(channelIds: Iterable<string | null>, rows: number): void;
}

export const INBOX_PROCESSOR = Symbol('InboxProcessor');
