import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  IsTimeZone,
  Max,
  MaxLength,
  Min,
  ValidateIf,
  ValidateNested,
  ValidationOptions,
} from 'class-validator';
import { LANGUAGES, type Language } from '../../config/settings';
import type { BackupVisibility, QaMode } from '../channel-config';

/**
 * A partial of ChannelConfig. Every key may be left out, but a key that is present must have the
 * right type: `null` is refused (except `backup.retentionDays`, where it means "keep forever").
 * Unknown keys are refused by the global ValidationPipe (forbidNonWhitelisted), nested ones too.
 * With stopAtFirstError, class-validator reports the lowest decorator first: type checks go last.
 */
const Given = (options?: ValidationOptions) => ValidateIf((_o, v) => v !== undefined, options);

/** A nested object: present means a plain object, validated with its own class. */
function Nested(type: () => new () => object): PropertyDecorator {
  return (target, key) => {
    Given()(target, key);
    IsObject()(target, key);
    ValidateNested()(target, key);
    Type(type)(target, key);
  };
}

export class QaPatchDto {
  @ApiPropertyOptional({ example: true })
  @Given()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ enum: ['keyword', 'exact', 'regex'] })
  @Given()
  @IsIn(['keyword', 'exact', 'regex'])
  mode?: QaMode;
}

export class SwitchPatchDto {
  @ApiPropertyOptional({ example: true })
  @Given()
  @IsBoolean()
  enabled?: boolean;
}

export class AssistantPatchDto {
  @ApiPropertyOptional({ example: true })
  @Given()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ type: QaPatchDto })
  @Nested(() => QaPatchDto)
  qa?: QaPatchDto;

  @ApiPropertyOptional({ type: SwitchPatchDto })
  @Nested(() => SwitchPatchDto)
  welcome?: SwitchPatchDto;

  @ApiPropertyOptional({ type: SwitchPatchDto })
  @Nested(() => SwitchPatchDto)
  rules?: SwitchPatchDto;

  @ApiPropertyOptional({ example: false })
  @Given()
  @IsBoolean()
  pushFallback?: boolean;
}

export class BackupPatchDto {
  @ApiPropertyOptional({ example: true })
  @Given()
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ example: true })
  @Given()
  @IsBoolean()
  keepUnsent?: boolean;

  @ApiPropertyOptional({
    nullable: true,
    type: Number,
    minimum: 1,
    maximum: 36500,
    description: 'null keeps everything',
  })
  @ValidateIf((_o, v) => v !== undefined && v !== null)
  @Min(1)
  @Max(36500)
  @IsInt()
  retentionDays?: number | null;

  @ApiPropertyOptional({ enum: ['admin', 'member'] })
  @Given()
  @IsIn(['admin', 'member'])
  visibleTo?: BackupVisibility;
}

export class UpdateChannelConfigDto {
  @ApiPropertyOptional({ type: AssistantPatchDto })
  @Nested(() => AssistantPatchDto)
  assistant?: AssistantPatchDto;

  @ApiPropertyOptional({ type: BackupPatchDto })
  @Nested(() => BackupPatchDto)
  backup?: BackupPatchDto;

  @ApiPropertyOptional({ enum: LANGUAGES })
  @Given()
  @IsIn(LANGUAGES)
  language?: Language;

  @ApiPropertyOptional({ example: 'Asia/Tokyo', description: 'IANA time zone' })
  @Given()
  @IsTimeZone({ message: 'timezone must be an IANA time zone such as Asia/Taipei' })
  @MaxLength(64)
  @IsString()
  timezone?: string;
}
