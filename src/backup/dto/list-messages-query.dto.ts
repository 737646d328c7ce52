import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { ENTRY_TYPES } from '../archive-entry';

export class ListMessagesQueryDto {
  @ApiPropertyOptional({ description: 'Only messages before this time (ISO-8601), exclusive' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'before must be an ISO-8601 date' })
  before?: string;

  @ApiPropertyOptional({ description: 'Only messages after this time (ISO-8601), exclusive' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'after must be an ISO-8601 date' })
  after?: string;

  @ApiPropertyOptional({ description: 'Only messages of this LINE user' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  userId?: string;

  @ApiPropertyOptional({ enum: ENTRY_TYPES })
  @IsOptional()
  @IsIn(ENTRY_TYPES, { message: `type must be one of ${ENTRY_TYPES.join(', ')}` })
  type?: string;

  @ApiPropertyOptional({
    description: 'Full-text search (any language; one character and more): messages whose text contains it',
  })
  @IsOptional()
  @IsString()
  @Length(1, 200, { message: 'q must be 1 to 200 characters' })
  q?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'limit must be a whole number from 1 to 500' })
  @Min(1, { message: 'limit must be a whole number from 1 to 500' })
  @Max(500, { message: 'limit must be a whole number from 1 to 500' })
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  cursor?: string;
}
