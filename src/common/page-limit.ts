import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/**
 * A list query's optional `limit`, from 1 to `max` (the route applies `fallback` when absent).
 * The decorators are listed in the order a stack written above the property applies them (bottom
 * up), so that its constraints are checked, and the first failure answered, in that order.
 */
export function PageLimit(fallback: number, max: number): PropertyDecorator {
  return applyDecorators(
    IsInt(),
    Max(max),
    Min(1),
    Type(() => Number),
    IsOptional(),
    ApiPropertyOptional({ minimum: 1, maximum: max, default: fallback }),
  );
}
