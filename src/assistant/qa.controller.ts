import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../auth/api-errors';
import type { ChannelAccess } from '../auth/auth-user';
import { ChannelParam } from '../auth/channel-param.decorator';
import { Roles } from '../auth/roles.decorator';
import {
  CreateQaRuleDto,
  ImportQaDto,
  QaExportDto,
  QaImportResultDto,
  QaRuleDto,
  QaRuleListDto,
  QaTestResultDto,
  TestQaDto,
  UpdateQaRuleDto,
} from './dto/qa-rule.dto';
import { QaRulesService } from './qa-rules.service';
import { RuleIdPipe } from './rule-id.pipe';

@ApiTags('assistant')
@Controller('api/channels/:channelId/qa')
export class QaController {
  constructor(private readonly qa: QaRulesService) {}

  @Get()
  @Roles('owner', 'admin', 'member')
  @ApiOkResponse({ type: QaRuleListDto })
  async list(@ChannelParam() access: ChannelAccess): Promise<QaRuleListDto> {
    return { rules: await this.qa.list(access.channelId) };
  }

  @Post()
  @Roles('owner', 'admin')
  @ApiOkResponse({ type: QaRuleDto })
  @ApiErrors([400, 'triggers[0] must not be empty'])
  create(@ChannelParam() access: ChannelAccess, @Body() dto: CreateQaRuleDto): Promise<QaRuleDto> {
    return this.qa.create(access.channelId, dto, access.userId);
  }

  /** Which rule would answer, and what it would send; nothing is sent. */
  @Post('test')
  @HttpCode(200)
  @Roles('owner', 'admin', 'member')
  @ApiOkResponse({ type: QaTestResultDto })
  test(@ChannelParam() access: ChannelAccess, @Body() dto: TestQaDto): Promise<QaTestResultDto> {
    return this.qa.test(access.channelId, access.channelType, dto.text, access.userId);
  }

  @Get('export')
  @Roles('owner', 'admin', 'member')
  @ApiOkResponse({ type: QaExportDto })
  export(@ChannelParam() access: ChannelAccess): Promise<QaExportDto> {
    return this.qa.export(access.channelId);
  }

  /** All or nothing: one invalid rule and nothing is imported. */
  @Post('import')
  @HttpCode(200)
  @Roles('owner', 'admin')
  @ApiOkResponse({ type: QaImportResultDto })
  @ApiErrors([400, 'rules[3].triggers[0] must not be empty'])
  import(@ChannelParam() access: ChannelAccess, @Body() dto: ImportQaDto): Promise<QaImportResultDto> {
    return this.qa.import(access.channelId, dto.rules, dto.replace ?? false, access.userId);
  }

  @Get(':ruleId')
  @Roles('owner', 'admin', 'member')
  @ApiOkResponse({ type: QaRuleDto })
  @ApiErrors([404, 'Rule not found'])
  get(
    @ChannelParam() access: ChannelAccess,
    @Param('ruleId', RuleIdPipe) ruleId: number,
  ): Promise<QaRuleDto> {
    return this.qa.get(access.channelId, ruleId);
  }

  @Put(':ruleId')
  @Roles('owner', 'admin')
  @ApiOkResponse({ type: QaRuleDto })
  @ApiErrors([400, 'mode must be one of keyword, exact, regex'], [404, 'Rule not found'])
  update(
    @ChannelParam() access: ChannelAccess,
    @Param('ruleId', RuleIdPipe) ruleId: number,
    @Body() dto: UpdateQaRuleDto,
  ): Promise<QaRuleDto> {
    return this.qa.update(access.channelId, ruleId, dto, access.userId);
  }

  @Delete(':ruleId')
  @Roles('owner', 'admin')
  @ApiErrors([404, 'Rule not found'])
  async remove(
    @ChannelParam() access: ChannelAccess,
    @Param('ruleId', RuleIdPipe) ruleId: number,
  ): Promise<{ success: true }> {
    await this.qa.remove(access.channelId, ruleId, access.userId);
    return { success: true };
  }
}
