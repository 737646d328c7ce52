import { ApiProperty } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import type { AssignableRole } from '../member-roles.service';

export class SetRoleDto {
  @ApiProperty({
    enum: ['admin', 'member'],
    example: 'admin',
    description: 'owner cannot be set here: see PUT /owner',
  })
  @IsIn(['admin', 'member'])
  role: AssignableRole;
}
