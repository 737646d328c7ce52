import { Global, Module } from '@nestjs/common';
import { LineClient } from './line-client.service';

/** Global: any module can inject LineClient without importing this one. */
@Global()
@Module({
  providers: [LineClient],
  exports: [LineClient],
})
export class LineModule {}
