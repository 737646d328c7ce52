import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Member } from './member.entity';
import { MemberRolesService } from './member-roles.service';
import { MembersAdminService } from './members-admin.service';
import { MembersController } from './members.controller';
import { MembersService } from './members.service';

@Module({
  imports: [TypeOrmModule.forFeature([Member])],
  controllers: [MembersController],
  providers: [MembersService, MemberRolesService, MembersAdminService],
  exports: [MembersService, MemberRolesService, MembersAdminService],
})
export class MembersModule {}
