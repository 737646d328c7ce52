import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '../../database/entity-columns';

/**
 * When a rule last answered in its chat, kept in the database (not in memory) so that a restart, a
 * second instance or a retried event all see the same cooldown.
 */
@Entity('qa_rule_fires')
export class QaRuleFire {
  @PrimaryColumn({ name: 'rule_id', type: 'integer' })
  ruleId: number;

  @Column({ name: 'channel_id', type: 'varchar', length: 64 })
  channelId: string;

  /** Event time (LINE's timestamp) of the message it answered. */
  @DateTimeColumn('last_fired_at')
  lastFiredAt: Date;

  /** The event it answered: a retry of that same event may answer again (its reply may have failed). */
  @Column({ name: 'last_event_id', type: 'varchar', length: 64 })
  lastEventId: string;
}
