import { Controller, Headers, HttpCode, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { Public } from '../auth/public.decorator';
import { WebhookService } from './webhook.service';

/** LINE's webhook. app.setup.ts keeps this route's body as raw bytes (1 MB at most). */
@ApiExcludeController()
@Controller('webhook')
export class WebhookController {
  constructor(private readonly webhook: WebhookService) {}

  @Post()
  @Public()
  @HttpCode(200)
  async receive(
    @Req() req: Request,
    @Headers('x-line-signature') signature: unknown,
  ): Promise<Record<string, never>> {
    await this.webhook.receive(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0), signature);
    return {};
  }
}
