import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, MaxLength } from 'class-validator';
import { MAX_TEXT_LENGTH } from '../../line/message-limits';

const TEXT_DOC = {
  nullable: true,
  description:
    'Up to 5,000 characters; may use {displayName}, {channelName}, {memberCount}, {date}. null resets to the default.',
};

export class UpdateWelcomeDto {
  @ApiPropertyOptional({ ...TEXT_DOC, example: '歡迎 {displayName} 加入 {channelName}！' })
  @IsOptional()
  @MaxLength(MAX_TEXT_LENGTH)
  @IsString()
  text?: string | null;

  @ApiPropertyOptional({ description: 'assistant.welcome.enabled of the channel config' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ description: 'Send the rules as a second message after the welcome.' })
  @IsOptional()
  @IsBoolean()
  appendRules?: boolean;
}

export class WelcomeDto {
  @ApiProperty(TEXT_DOC) text: string | null;
  @ApiProperty() enabled: boolean;
  @ApiProperty() appendRules: boolean;
  @ApiProperty({ description: 'What is sent while text is null, in the channel language.' })
  defaultText: string;
}

export class UpdateRulesDto {
  @ApiPropertyOptional({ ...TEXT_DOC, example: '1. 請互相尊重\n2. 禁止廣告' })
  @IsOptional()
  @MaxLength(MAX_TEXT_LENGTH)
  @IsString()
  text?: string | null;

  @ApiPropertyOptional({ description: 'assistant.rules.enabled of the channel config' })
  @IsOptional()
  @IsBoolean()
  enabled?: boolean;
}

export class RulesDto {
  @ApiProperty(TEXT_DOC) text: string | null;
  @ApiProperty() enabled: boolean;
}
