import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, MoreThan, QueryFailedError, Repository } from 'typeorm';
import { LoginCode } from './login-code.entity';
import { generateLoginCode, hashLoginCode, LOGIN_CODE_TTL_MS, normalizeLoginCode } from './login-code';

export interface IssuedLoginCode {
  code: string;
  expiresAt: Date;
}

/** Expired and used codes are kept this long (for support questions), then deleted. */
const KEEP_SPENT_MS = 24 * 3600_000;

@Injectable()
export class LoginCodesService {
  private readonly logger = new Logger(LoginCodesService.name);

  constructor(@InjectRepository(LoginCode) private readonly codes: Repository<LoginCode>) {}

  /** A fresh code for `userId`; any code given to them before stops working. */
  async issue(userId: string, now = new Date()): Promise<IssuedLoginCode> {
    await this.codes.update({ userId, usedAt: IsNull() }, { usedAt: now });
    await this.codes.delete({ expiresAt: LessThan(new Date(now.getTime() - KEEP_SPENT_MS)) });
    const expiresAt = new Date(now.getTime() + LOGIN_CODE_TTL_MS);
    for (let attempt = 0; ; attempt++) {
      const code = generateLoginCode();
      try {
        await this.codes.insert({
          codeHash: hashLoginCode(code),
          userId,
          createdAt: now,
          expiresAt,
          usedAt: null,
        });
        return { code, expiresAt };
      } catch (err) {
        // A hash collision with a kept code: draw again (practically never happens).
        if (!(err instanceof QueryFailedError) || attempt >= 3) throw err;
        this.logger.warn({ userId }, 'Login code collision, drawing another');
      }
    }
  }

  /**
   * Spends a code: the conditional UPDATE succeeds for exactly one caller, so a code works once
   * even when sent twice at the same moment. Answers the userId it was given to, or null.
   */
  async consume(input: string, now = new Date()): Promise<string | null> {
    const code = normalizeLoginCode(input);
    if (!code) return null;
    const codeHash = hashLoginCode(code);
    const spent = await this.codes.update(
      { codeHash, usedAt: IsNull(), expiresAt: MoreThan(now) },
      { usedAt: now },
    );
    if (spent.affected !== 1) return null;
    const row = await this.codes.findOne({ where: { codeHash }, select: { id: true, userId: true } });
    return row?.userId ?? null;
  }
}
