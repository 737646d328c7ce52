import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../auth/api-errors';
import type { ChannelAccess } from '../auth/auth-user';
import { ChannelParam } from '../auth/channel-param.decorator';
import { RequireJsonBody } from '../auth/require-json-body.decorator';
import { Roles } from '../auth/roles.decorator';
import { DEFAULT_MEMBERS_PAGE, ListMembersQueryDto } from './dto/list-members-query.dto';
import { MembersPageDto, SuccessDto } from './dto/member.dto';
import { SetOwnerDto } from './dto/set-owner.dto';
import { SetRoleDto } from './dto/set-role.dto';
import { MemberRolesService } from './member-roles.service';
import { MembersAdminService } from './members-admin.service';

@ApiTags('members')
@ApiParam({ name: 'channelId', description: 'Group, room or user id', example: 'C1234567890abcdef' })
@Controller('api/channels/:channelId')
export class MembersController {
  constructor(
    private readonly members: MembersAdminService,
    private readonly roles: MemberRolesService,
  ) {}

  @Get('members')
  @Roles('owner', 'admin', 'member')
  @ApiOperation({ summary: 'Members of the channel, in pages (`nextCursor` appears when there are more)' })
  @ApiOkResponse({ type: MembersPageDto })
  @ApiErrors(400)
  async list(
    @ChannelParam() channel: ChannelAccess,
    @Query() query: ListMembersQueryDto,
  ): Promise<MembersPageDto> {
    return this.members.list(channel.channelId, { ...query, limit: query.limit ?? DEFAULT_MEMBERS_PAGE });
  }

  @Put('members/:userId/role')
  @Roles('owner', 'admin')
  @RequireJsonBody()
  @ApiOperation({
    summary: 'Make a member an admin or a member again',
    description:
      "The owner's role cannot be changed here; only the owner (or an operator) can demote an admin.",
  })
  @ApiParam({ name: 'userId', example: 'U0987654321fedcba' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(400, [404, 'Channel not found | Member not found'])
  async setRole(
    @ChannelParam() channel: ChannelAccess,
    @Param('userId') userId: string,
    @Body() dto: SetRoleDto,
  ): Promise<SuccessDto> {
    await this.roles.setRole(channel.channelId, userId, dto.role, channel);
    return { success: true };
  }

  @Put('owner')
  @Roles('owner')
  @RequireJsonBody()
  @ApiOperation({
    summary: 'Hand ownership to another active member (the owner or an operator)',
    description: 'The previous owner stays as an admin. Not for 1:1 chats, which their user always owns.',
  })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(400, [404, 'Channel not found | Member not found'])
  async setOwner(@ChannelParam() channel: ChannelAccess, @Body() dto: SetOwnerDto): Promise<SuccessDto> {
    await this.roles.setOwner(channel.channelId, channel.channelType, dto.userId, channel);
    return { success: true };
  }
}
