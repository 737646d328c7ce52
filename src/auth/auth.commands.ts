import { Injectable, OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { CommandContext, CommandsRegistry } from '../commands/commands.registry';
import type { Settings } from '../config/settings';
import { I18nService } from '../i18n/i18n.service';
import type { LineMessage } from '../line/line-client.service';
import { MemberRolesService } from '../members/member-roles.service';
import { MembersService } from '../members/members.service';
import { LOGIN_CODE_TTL_MS } from './login-code';
import { LoginCodesService } from './login-codes.service';

const text = (t: string): LineMessage => ({ type: 'text', text: t });

/** The in-chat side of sign-in and ownership: `/login` (1:1 only) and `/claim` (groups and rooms). */
@Injectable()
export class AuthCommands implements OnModuleInit {
  constructor(
    private readonly registry: CommandsRegistry,
    private readonly i18n: I18nService,
    private readonly codes: LoginCodesService,
    private readonly roles: MemberRolesService,
    private readonly members: MembersService,
    private readonly config: ConfigService<Settings, true>,
  ) {}

  onModuleInit(): void {
    // Not limited to 1:1 by chatTypes: in a group it answers with its own, more helpful, text.
    this.registry.register({ name: 'login', aliases: ['登入', 'ログイン', 'เข้าสู่ระบบ'] }, (_cmd, chat) =>
      this.login(chat),
    );
    this.registry.register({ name: 'claim', chatTypes: ['group', 'room'] }, (_cmd, chat) => this.claim(chat));
  }

  /** A code in a 1:1 chat (two messages: the explanation, then the code alone, easy to copy). */
  async login(chat: CommandContext): Promise<LineMessage[]> {
    const lang = chat.language;
    if (chat.channelType !== 'user' || !chat.userId) return [text(this.i18n.t(lang, 'auth.loginInGroup'))];
    const { code } = await this.codes.issue(chat.userId);
    let intro = this.i18n.t(lang, 'auth.loginCode', { minutes: LOGIN_CODE_TTL_MS / 60_000 });
    const publicUrl = this.config.get('publicUrl', { infer: true });
    if (publicUrl) {
      const url = `${publicUrl}/login?code=${encodeURIComponent(code)}`;
      intro += `\n${this.i18n.t(lang, 'auth.loginLink', { url })}`;
    }
    return [text(intro), text(code)];
  }

  async claim(chat: CommandContext): Promise<LineMessage[]> {
    const lang = chat.language;
    if (!chat.userId) return [text(this.i18n.t(lang, 'auth.claimNoUser'))];
    const result = await this.roles.claim(chat.channelId, chat.userId);
    switch (result.outcome) {
      case 'claimed': {
        const name = await this.nameOf(chat.channelId, chat.userId);
        return [
          text(name ? this.i18n.t(lang, 'auth.claimed', { name }) : this.i18n.t(lang, 'auth.claimedNoName')),
        ];
      }
      case 'already-yours':
        return [text(this.i18n.t(lang, 'auth.claimAlreadyYours'))];
      case 'taken': {
        const owner = await this.nameOf(chat.channelId, result.ownerUserId);
        return [
          text(
            owner
              ? this.i18n.t(lang, 'auth.claimTaken', { owner })
              : this.i18n.t(lang, 'auth.claimTakenNoName'),
          ),
        ];
      }
      case 'not-member':
        return [text(this.i18n.t(lang, 'auth.claimNotMember'))];
    }
  }

  private async nameOf(channelId: string, userId: string): Promise<string | undefined> {
    return (await this.members.displayNames(channelId, [userId])).get(userId);
  }
}
