import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateTimeColumn } from '../../database/entity-columns';

/** A channel's welcome and rules texts, and the revision of its Q&A rule set. */
@Entity('assistant_settings')
export class AssistantSettings {
  @PrimaryColumn({ name: 'channel_id', type: 'varchar', length: 64 })
  channelId: string;

  /** Bumped in the same transaction as every change to the channel's Q&A rules: compiled matchers compare it. */
  @Column({ name: 'qa_revision', type: 'integer' })
  qaRevision: number;

  /** null: the bot's default welcome in the channel's language. */
  @Column({ name: 'welcome_text', type: 'text', nullable: true })
  welcomeText: string | null;

  /** Send the rules as a second message after the welcome. */
  @Column({ name: 'welcome_append_rules', type: 'boolean' })
  welcomeAppendRules: boolean;

  @Column({ name: 'rules_text', type: 'text', nullable: true })
  rulesText: string | null;

  @DateTimeColumn('updated_at')
  updatedAt: Date;

  /** LINE userId of who last changed a text, or `system`. */
  @Column({ name: 'updated_by', type: 'varchar', length: 64 })
  updatedBy: string;
}
