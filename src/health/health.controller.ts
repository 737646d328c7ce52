import { Controller, Get, HttpCode } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { ServiceUnavailableError } from '../common/errors/domain.errors';
import { HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/public.decorator';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
  ) {}

  @Get()
  @HttpCode(200)
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  @ApiServiceUnavailableResponse({ schema: { example: { error: 'Database unavailable' } } })
  async check(): Promise<{ status: 'ok' }> {
    try {
      await this.health.check([() => this.db.pingCheck('database', { timeout: 2000 })]);
    } catch {
      throw new ServiceUnavailableError('Database unavailable');
    }
    return { status: 'ok' };
  }
}
