import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChannelsModule } from '../channels/channels.module';
import type { Settings } from '../config/settings';
import { MembersModule } from '../members/members.module';
import { AuthCommands } from './auth.commands';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { AuthTokensModule } from './auth-tokens.module';
import { ChannelRolesGuard } from './channel-roles.guard';
import { JwtAuthGuard } from './jwt-auth.guard';
import { LoginCode } from './login-code.entity';
import { LoginCodesService } from './login-codes.service';

/**
 * Sign-in through the bot (/login codes exchanged for JWTs), /claim, and the two global guards:
 * JwtAuthGuard (every route but @Public ones) then ChannelRolesGuard (@Roles / @RolesFromConfig).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([LoginCode]),
    AuthTokensModule,
    ThrottlerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Settings, true>) => ({
        throttlers: [
          { name: 'login', ttl: 60_000, limit: config.get('auth', { infer: true }).loginRateLimit },
        ],
        errorMessage: 'Too many requests',
      }),
    }),
    ChannelsModule,
    MembersModule,
  ],
  controllers: [AuthController],
  providers: [
    LoginCodesService,
    AuthService,
    AuthCommands,
    // Global guards run in this order: who is calling, then what they may do in the channel.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: ChannelRolesGuard },
  ],
  exports: [LoginCodesService, AuthTokensModule],
})
export class AuthModule {}
