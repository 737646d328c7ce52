import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import { SuccessDto } from '../members/dto/member.dto';
import { ApiErrors } from './api-errors';
import type { AuthUser } from './auth-user';
import { AuthService } from './auth.service';
import { CurrentUser } from './current-user.decorator';
import { LoginDto, LoginResponseDto, MeDto } from './dto/auth.dto';
import { Public } from './public.decorator';
import { RequireJsonBody } from './require-json-body.decorator';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @Public()
  @HttpCode(200)
  @RequireJsonBody()
  @UseGuards(ThrottlerGuard)
  @ApiOperation({
    summary: 'Exchange a one-time code for a token',
    description:
      'Send /login to the bot in a 1:1 chat to get a code. Limited per IP (LOGIN_RATE_LIMIT a minute).',
  })
  @ApiOkResponse({ type: LoginResponseDto })
  @ApiErrors(400, [401, 'Invalid or expired code'], 429)
  async login(@Body() dto: LoginDto): Promise<LoginResponseDto> {
    const result = await this.auth.login(dto.code);
    return {
      accessToken: result.accessToken,
      tokenType: 'Bearer',
      expiresIn: result.expiresIn,
      user: result.user,
    };
  }

  @Get('me')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: MeDto })
  @ApiErrors(401)
  me(@CurrentUser() user: AuthUser): Promise<MeDto> {
    return this.auth.me(user);
  }

  @Post('logout-all')
  @HttpCode(200)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Revoke every token of the signed-in user (this one included)' })
  @ApiOkResponse({ type: SuccessDto })
  @ApiErrors(401)
  async logoutAll(@CurrentUser() user: AuthUser): Promise<SuccessDto> {
    await this.auth.logoutAll(user);
    return { success: true };
  }
}
