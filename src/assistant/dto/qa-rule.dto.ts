import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import type { QaMode } from '../../channels/channel-config';
import { MAX_MESSAGES_PER_CALL, MAX_TEXT_LENGTH } from '../../line/message-limits';
import {
  MAX_COOLDOWN_SECONDS,
  MAX_PRIORITY,
  MAX_RULES_PER_CHANNEL,
  MAX_TRIGGER_LENGTH,
  MAX_TRIGGERS,
  QA_MODES,
} from '../qa-rule-input';

const MESSAGES_DOC = {
  description:
    'LINE message objects, 1 to 5: `{"type":"text","text"}` (up to 5,000 characters, placeholders allowed), ' +
    '`{"type":"sticker","packageId","stickerId"}`, `{"type":"image","originalContentUrl","previewImageUrl"}` (https).',
  example: [{ type: 'text', text: '我們的營業時間是早上九點到晚上六點，{displayName}。' }],
  type: 'array',
  items: { type: 'object' },
} as const;

/** The fields of a rule; all optional here, the service says which are needed when. */
class QaRuleFieldsDto {
  @ApiPropertyOptional({ example: ['營業時間', '幾點開'], description: `1 to ${MAX_TRIGGERS} triggers` })
  // class-validator checks the bottom decorator first: the type before the sizes.
  @IsOptional()
  @MaxLength(MAX_TRIGGER_LENGTH, { each: true })
  @IsString({ each: true })
  @ArrayMaxSize(MAX_TRIGGERS)
  @ArrayMinSize(1)
  @IsArray()
  triggers?: string[];

  @ApiPropertyOptional({ description: 'Short form of one text message; give this or `messages`.' })
  @IsOptional()
  @MaxLength(MAX_TEXT_LENGTH)
  @IsString()
  answer?: string;

  @ApiPropertyOptional(MESSAGES_DOC)
  @IsOptional()
  @IsObject({ each: true })
  @ArrayMaxSize(MAX_MESSAGES_PER_CALL)
  @ArrayMinSize(1)
  @IsArray()
  messages?: Record<string, unknown>[];

  @ApiPropertyOptional({
    enum: QA_MODES,
    nullable: true,
    description: 'How the triggers match; null or absent follows the channel default (`assistant.qa.mode`).',
  })
  @IsOptional()
  @IsIn(QA_MODES)
  mode?: QaMode | null;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ default: 0, description: 'Higher wins when several rules match.' })
  @IsOptional()
  @IsInt()
  @Min(-MAX_PRIORITY)
  @Max(MAX_PRIORITY)
  priority?: number;

  @ApiPropertyOptional({ default: 30, description: 'Seconds before the rule answers again in this chat.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_COOLDOWN_SECONDS)
  cooldownSeconds?: number;
}

/** POST .../qa: `triggers` and `answer` or `messages` are required. */
export class CreateQaRuleDto extends QaRuleFieldsDto {}

/** PUT .../qa/:ruleId: the given fields replace the stored ones. */
export class UpdateQaRuleDto extends QaRuleFieldsDto {}

export class QaRuleDto {
  @ApiProperty() id: number;
  @ApiProperty({ type: [String] }) triggers: string[];
  @ApiProperty({ enum: QA_MODES, nullable: true }) mode: QaMode | null;
  @ApiProperty(MESSAGES_DOC) messages: unknown[];
  @ApiProperty({ nullable: true, description: 'The text when the answer is one text message, else null.' })
  answer: string | null;
  @ApiProperty() enabled: boolean;
  @ApiProperty() priority: number;
  @ApiProperty() cooldownSeconds: number;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class QaRuleListDto {
  @ApiProperty({ type: [QaRuleDto] }) rules: QaRuleDto[];
}

export class TestQaDto {
  @ApiProperty({ example: '請問營業時間？' })
  @MaxLength(MAX_TEXT_LENGTH)
  @IsString()
  text: string;
}

export class QaTestResultDto {
  @ApiProperty() matched: boolean;
  @ApiProperty({ type: QaRuleDto, nullable: true }) rule: QaRuleDto | null;
  @ApiProperty({ nullable: true }) trigger: string | null;
  @ApiProperty({ enum: QA_MODES, nullable: true }) mode: QaMode | null;
  @ApiProperty({ nullable: true, type: 'array', items: { type: 'object' } }) messages: unknown[] | null;
  @ApiProperty({ type: [Number] }) alsoMatched: number[];
}

/** The export document; POST .../qa/import accepts it back as is. */
export class ImportQaDto {
  @ApiProperty({ type: 'array', items: { type: 'object' }, description: 'Rules as in the export (no ids).' })
  @IsObject({ each: true })
  @ArrayMaxSize(MAX_RULES_PER_CHANNEL)
  @IsArray()
  rules: Record<string, unknown>[];

  @ApiPropertyOptional({ default: false, description: "Delete the channel's rules first." })
  @IsOptional()
  @IsBoolean()
  replace?: boolean;

  @ApiPropertyOptional({ description: 'From an export; ignored.' })
  @IsOptional()
  @IsInt()
  version?: number;

  @ApiPropertyOptional({ description: 'From an export; ignored.' })
  @IsOptional()
  @MaxLength(64)
  @IsString()
  channelId?: string;

  @ApiPropertyOptional({ description: 'From an export; ignored.' })
  @IsOptional()
  @MaxLength(64)
  @IsString()
  exportedAt?: string;
}

export class QaExportDto {
  @ApiProperty({ example: 1 }) version: number;
  @ApiProperty() channelId: string;
  @ApiProperty() exportedAt: string;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) rules: unknown[];
}

export class QaImportResultDto {
  @ApiProperty() imported: number;
  @ApiProperty({ description: 'Rules deleted first (replace).' }) deleted: number;
}
