import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Settings } from '../config/settings';
import { AuthTokensService } from './auth-tokens.service';
import { UserTokenVersion } from './user-token-version.entity';

/** Issuing and checking JWTs; on its own so that the CLI (`npm run cli -- token`) can use it. */
@Module({
  imports: [
    TypeOrmModule.forFeature([UserTokenVersion]),
    JwtModule.registerAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Settings, true>) => ({
        // A KeyObject, not the string: given a string, jsonwebtoken first tries to parse it as a
        // public key on every verify (a thrown error each time, most of a request's CPU).
        secret: createSecretKey(
          Buffer.from(config.get('auth', { infer: true }).jwtSecret, 'utf8'),
        ) as unknown as Buffer,
        signOptions: { algorithm: 'HS256' },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
  ],
  providers: [AuthTokensService],
  exports: [AuthTokensService],
})
export class AuthTokensModule {}
