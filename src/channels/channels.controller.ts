import { Body, Controller, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../auth/api-errors';
import type { AuthUser, ChannelAccess } from '../auth/auth-user';
import { ChannelParam } from '../auth/channel-param.decorator';
import { CurrentUser } from '../auth/current-user.decorator';
import { RequireJsonBody } from '../auth/require-json-body.decorator';
import { Roles } from '../auth/roles.decorator';
import { SuccessDto } from '../members/dto/member.dto';
import { ChannelConfigDto } from './dto/channel-config.dto';
import { ChannelSyncDto } from './dto/channel-sync.dto';
import { ChannelDetailDto, ChannelListDto } from './dto/channel.dto';
import { UpdateChannelConfigDto } from './dto/update-channel-config.dto';
import { ChannelsAdminService } from './channels-admin.service';

const channelIdParam = ApiParam({
  name: 'channelId',
  description: 'Group, room or user id',
  example: 'C1234567890abcdef',
});

@ApiTags('channels')
@Controller('api/channels')
export class ChannelsController {
  constructor(private readonly channels: ChannelsAdminService) {}

  @Get()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The channels the caller is an active member of (every channel for an operator)' })
  @ApiOkResponse({ type: ChannelListDto })
  @ApiErrors(401)
  async list(@CurrentUser() user: AuthUser): Promise<ChannelListDto> {
    return { channels: await this.channels.listFor(user) };
  }

  @Get(':channelId')
  @Roles('owner', 'admin', 'member')
  @channelIdParam
  @ApiOperation({ summary: "A channel's meta, its config and the caller's role" })
  @ApiOkResponse({ type: ChannelDetailDto })
  async detail(@ChannelParam() access: ChannelAccess): Promise<ChannelDetailDto> {
    const { channel, config } = await this.channels.detail(access);
    return ChannelDetailDto.from(channel, config, access.role);
  }

  @Patch(':channelId/config')
  @Roles('owner', 'admin')
  @RequireJsonBody()
  @channelIdParam
  @ApiOperation({ summary: 'Change part of the config; answers the whole config' })
  @ApiOkResponse({ type: ChannelConfigDto })
  @ApiErrors(400)
  updateConfig(
    @ChannelParam() access: ChannelAccess,
    @Body() patch: UpdateChannelConfigDto,
  ): Promise<ChannelConfigDto> {
    return this.channels.updateConfig(access.channelId, access.userId, patch);
  }

  @Post(':channelId/sync')
  @HttpCode(200)
  @Roles('owner', 'admin')
  @channelIdParam
  @ApiOperation({ summary: 'Refresh name, picture, member count, member list and stale profiles from LINE' })
  @ApiOkResponse({ type: ChannelSyncDto })
  @ApiErrors(502)
  async sync(@ChannelParam() access: ChannelAccess): Promise<ChannelSyncDto> {
    return ChannelSyncDto.from(await this.channels.sync(access));
  }

  @Post(':channelId/leave')
  @HttpCode(200)
  @Roles('owner')
  @channelIdParam
  @ApiOperation({ summary: 'The bot leaves the LINE group or room; the channel becomes disabled' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors([400, 'The bot cannot leave a 1:1 chat; the user can block it instead'], 502)
  async leave(@ChannelParam() access: ChannelAccess): Promise<SuccessDto> {
    await this.channels.leave(access);
    return { success: true };
  }
}
