import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { col, dialectOf } from '../columns';

const byChannel = (onDelete: 'CASCADE') => ({
  columnNames: ['channel_id'],
  referencedTableName: 'channels',
  referencedColumnNames: ['channel_id'],
  onDelete,
});

/** Assistant: Q&A rules and their cooldowns, welcome and rules texts, answered events. */
export class AssistantSchema1732260000000 implements MigrationInterface {
  name = 'AssistantSchema1732260000000';

  async up(q: QueryRunner): Promise<void> {
    const d = dialectOf(q.connection.options.type);
    await q.createTable(
      new Table({
        name: 'qa_rules',
        columns: [
          col.id(),
          col.lineId('channel_id'),
          col.text(d, 'triggers', false),
          col.string('mode', 8, true),
          col.text(d, 'messages', false),
          col.bool('enabled', true),
          col.int('priority', false, 0),
          col.int('cooldown_seconds', false, 30),
          col.string('created_by', 64),
          col.datetime(d, 'created_at'),
          col.datetime(d, 'updated_at'),
        ],
        indices: [new TableIndex({ name: 'ix_qa_rules_channel', columnNames: ['channel_id'] })],
        foreignKeys: [byChannel('CASCADE')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'qa_rule_fires',
        columns: [
          { ...col.int('rule_id'), isPrimary: true },
          col.lineId('channel_id'),
          col.datetime(d, 'last_fired_at'),
          col.string('last_event_id', 64),
        ],
        foreignKeys: [
          {
            columnNames: ['rule_id'],
            referencedTableName: 'qa_rules',
            referencedColumnNames: ['id'],
            onDelete: 'CASCADE',
          },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'assistant_settings',
        columns: [
          { ...col.lineId('channel_id'), isPrimary: true },
          col.int('qa_revision', false, 0),
          col.text(d, 'welcome_text', true),
          col.bool('welcome_append_rules', false),
          col.text(d, 'rules_text', true),
          col.datetime(d, 'updated_at'),
          col.string('updated_by', 64),
        ],
        foreignKeys: [byChannel('CASCADE')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'assistant_replies',
        columns: [
          { ...col.string('webhook_event_id', 64), isPrimary: true },
          col.lineId('channel_id'),
          col.string('kind', 16),
          col.string('outcome', 16),
          col.datetime(d, 'created_at'),
        ],
        indices: [new TableIndex({ name: 'ix_assistant_replies_created', columnNames: ['created_at'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['assistant_replies', 'assistant_settings', 'qa_rule_fires', 'qa_rules']) {
      await q.dropTable(table);
    }
  }
}
