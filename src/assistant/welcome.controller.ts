import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../auth/api-errors';
import type { ChannelAccess } from '../auth/auth-user';
import { ChannelParam } from '../auth/channel-param.decorator';
import { Roles } from '../auth/roles.decorator';
import { RulesDto, UpdateRulesDto, UpdateWelcomeDto, WelcomeDto } from './dto/welcome.dto';
import { WelcomeService } from './welcome.service';

@ApiTags('assistant')
@Controller('api/channels/:channelId')
export class WelcomeController {
  constructor(private readonly welcome: WelcomeService) {}

  @Get('welcome')
  @Roles('owner', 'admin', 'member')
  @ApiOkResponse({ type: WelcomeDto })
  getWelcome(@ChannelParam() access: ChannelAccess): Promise<WelcomeDto> {
    return this.welcome.getWelcome(access.channelId);
  }

  @Put('welcome')
  @Roles('owner', 'admin')
  @ApiOkResponse({ type: WelcomeDto })
  @ApiErrors([
    400,
    'text has an unknown placeholder {name}; use {displayName}, {channelName}, {memberCount}, {date}',
  ])
  setWelcome(@ChannelParam() access: ChannelAccess, @Body() dto: UpdateWelcomeDto): Promise<WelcomeDto> {
    return this.welcome.setWelcome(access.channelId, dto, access.userId);
  }

  @Get('rules')
  @Roles('owner', 'admin', 'member')
  @ApiOkResponse({ type: RulesDto })
  getRules(@ChannelParam() access: ChannelAccess): Promise<RulesDto> {
    return this.welcome.getRules(access.channelId);
  }

  @Put('rules')
  @Roles('owner', 'admin')
  @ApiOkResponse({ type: RulesDto })
  @ApiErrors([400, 'text must be a non-empty string, or null to reset it'])
  setRules(@ChannelParam() access: ChannelAccess, @Body() dto: UpdateRulesDto): Promise<RulesDto> {
    return this.welcome.setRules(access.channelId, dto, access.userId);
  }
}
