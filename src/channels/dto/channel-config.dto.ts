import { ApiProperty } from '@nestjs/swagger';
import { LANGUAGES, type Language } from '../../config/settings';
import type { BackupVisibility, QaMode } from '../channel-config';

/** The whole config as GET /api/channels/:channelId and PATCH .../config answer it. */
export class QaConfigDto {
  @ApiProperty({ example: true })
  enabled: boolean;

  @ApiProperty({ enum: ['keyword', 'exact', 'regex'], example: 'keyword' })
  mode: QaMode;
}

export class SwitchDto {
  @ApiProperty({ example: true })
  enabled: boolean;
}

export class AssistantConfigDto {
  @ApiProperty({ example: true, description: 'Auto-replies at all' })
  enabled: boolean;

  @ApiProperty({ type: QaConfigDto })
  qa: QaConfigDto;

  @ApiProperty({ type: SwitchDto })
  welcome: SwitchDto;

  @ApiProperty({ type: SwitchDto })
  rules: SwitchDto;

  @ApiProperty({
    example: false,
    description: 'Push (spends the monthly quota) when a reply token has expired',
  })
  pushFallback: boolean;
}

export class BackupConfigDto {
  @ApiProperty({ example: true })
  enabled: boolean;

  @ApiProperty({ example: true, description: 'Keep messages their sender unsent' })
  keepUnsent: boolean;

  @ApiProperty({ example: null, nullable: true, type: Number, description: 'null keeps everything' })
  retentionDays: number | null;

  @ApiProperty({ enum: ['admin', 'member'], example: 'admin', description: 'Who may read the archive' })
  visibleTo: BackupVisibility;
}

export class ChannelConfigDto {
  @ApiProperty({ type: AssistantConfigDto })
  assistant: AssistantConfigDto;

  @ApiProperty({ type: BackupConfigDto })
  backup: BackupConfigDto;

  @ApiProperty({ enum: LANGUAGES, example: 'zh-TW', description: "The bot's own messages in this chat" })
  language: Language;

  @ApiProperty({ example: 'Asia/Taipei', description: 'IANA time zone' })
  timezone: string;
}
