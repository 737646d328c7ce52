import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

export class SetOwnerDto {
  @ApiProperty({
    example: 'U1234567890abcdef1234567890abcdef',
    description: 'An active member of the channel',
  })
  @IsString()
  @Matches(/^U[0-9a-f]{32}$/, { message: 'userId must be a LINE user id' })
  userId: string;
}
