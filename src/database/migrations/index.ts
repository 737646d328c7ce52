import { CoreSchema1732240000000 } from './1732240000000-core-schema';
import { AuthAndRoles1732250000000 } from './1732250000000-auth-and-roles';
import { AssistantSchema1732260000000 } from './1732260000000-assistant-schema';
import { BackupSchema1732270000000 } from './1732270000000-backup-schema';
import { InboxPendingIndexes1732280000000 } from './1732280000000-inbox-pending-indexes';
import { SearchIndexQueue1732290000000 } from './1732290000000-search-index-queue';
import { SqliteFtsIndex1732300000000 } from './1732300000000-sqlite-fts-index';
import { WideRowIds1732310000000 } from './1732310000000-wide-row-ids';
import { ChannelLineRead1732320000000 } from './1732320000000-channel-line-read';
import { ReplyAttempts1732330000000 } from './1732330000000-reply-attempts';
import { MemberCountRead1732340000000 } from './1732340000000-member-count-read';

/** Every migration, oldest first. A module adding tables appends its migration here. */
export const migrations = [
  CoreSchema1732240000000,
  AuthAndRoles1732250000000,
  AssistantSchema1732260000000,
  BackupSchema1732270000000,
  InboxPendingIndexes1732280000000,
  SearchIndexQueue1732290000000,
  SqliteFtsIndex1732300000000,
  WideRowIds1732310000000,
  ChannelLineRead1732320000000,
  ReplyAttempts1732330000000,
  MemberCountRead1732340000000,
];
