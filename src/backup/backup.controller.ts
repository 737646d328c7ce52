import { Controller, Get, Headers, Param, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { ChannelAccess } from '../auth/auth-user';
import { ChannelParam } from '../auth/channel-param.decorator';
import { RolesFromConfig } from '../auth/roles.decorator';
import type { ChannelConfig } from '../channels/channel-config';
import type { MemberRole } from '../members/member.entity';
import { ExportQueryDto } from './dto/export-query.dto';
import { ListMessagesQueryDto } from './dto/list-messages-query.dto';
import { ExportService } from './export/export.service';
import { BackupMessagesService, MessagesPage } from './messages.service';
import { streamedFile } from './streamed-file';

/** Admins and the owner read the archive; members too when the channel sets `backup.visibleTo: member`. */
export const backupReaders = (config: ChannelConfig): readonly MemberRole[] =>
  config.backup.visibleTo === 'member' ? ['owner', 'admin', 'member'] : ['owner', 'admin'];

@ApiTags('backup')
@ApiParam({ name: 'channelId', description: 'Group, room or user id', example: 'C1234567890abcdef' })
@Controller('api/channels/:channelId')
export class BackupController {
  constructor(
    private readonly messages: BackupMessagesService,
    private readonly exports: ExportService,
  ) {}

  @Get('messages')
  @RolesFromConfig(backupReaders)
  @ApiOperation({ summary: 'The archive, newest first: filter, full-text search (q), cursor pages' })
  @ApiOkResponse({ schema: { example: { messages: [], nextCursor: null } } })
  list(@ChannelParam() channel: ChannelAccess, @Query() query: ListMessagesQueryDto): Promise<MessagesPage> {
    return this.messages.list(channel.channelId, query);
  }

  @Get('messages/:messageId/content')
  @RolesFromConfig(backupReaders)
  @ApiOperation({ summary: "A media message's stored content (Range supported)" })
  @ApiProduces('application/octet-stream')
  async content(
    @ChannelParam() channel: ChannelAccess,
    @Param('messageId') messageId: string,
    @Headers('range') range: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const content = await this.messages.content(channel.channelId, messageId, range);
    res.status(content.status).set(content.headers);
    return streamedFile(content.stream);
  }

  @Get('export')
  @RolesFromConfig(backupReaders)
  @ApiOperation({ summary: 'Download the archive as JSON, CSV (UTF-8 with BOM), HTML or a zip with media' })
  @ApiProduces('application/json', 'text/csv', 'text/html', 'application/zip')
  async export(
    @ChannelParam() channel: ChannelAccess,
    @Query() query: ExportQueryDto,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const download = await this.exports.export({
      channelId: channel.channelId,
      actor: channel.userId,
      format: query.format ?? 'json',
      ...(query.from ? { from: new Date(query.from) } : {}),
      ...(query.to ? { to: new Date(query.to) } : {}),
    });
    res.set({
      'content-type': download.contentType,
      'content-disposition': `attachment; filename="${download.filename}"`,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    });
    return streamedFile(download.stream);
  }
}
