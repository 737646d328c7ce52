import { Global, Module } from '@nestjs/common';
import { EventDispatcher } from './event-dispatcher';

/** Global so that any feature module can register handlers without importing the webhook module. */
@Global()
@Module({ providers: [EventDispatcher], exports: [EventDispatcher] })
export class DispatcherModule {}
