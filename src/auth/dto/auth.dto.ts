import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';

export class LoginDto {
  @ApiProperty({ example: 'ACDE7FGH', description: 'The one-time code the bot gave in a 1:1 chat (/login)' })
  @IsString()
  @MaxLength(32)
  code: string;
}

export class UserDto {
  @ApiProperty({ example: 'U1234567890abcdef1234567890abcdef' })
  userId: string;

  @ApiProperty({ example: '王小明', nullable: true, type: String })
  displayName: string | null;

  @ApiProperty({ example: 'https://profile.line-scdn.net/...', nullable: true, type: String })
  pictureUrl: string | null;
}

export class LoginResponseDto {
  @ApiProperty({ example: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...' })
  accessToken: string;

  @ApiProperty({ example: 'Bearer' })
  tokenType: 'Bearer';

  @ApiProperty({ example: 43200, description: 'Seconds until the token expires' })
  expiresIn: number;

  @ApiProperty({ type: UserDto })
  user: UserDto;
}

export class MeDto extends UserDto {
  @ApiProperty({ example: false, description: 'Listed in OPERATOR_USER_IDS: sees and manages every channel' })
  isOperator: boolean;
}
