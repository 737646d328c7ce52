import { Injectable } from '@nestjs/common';
import type { webhook } from '@line/bot-sdk';
import type { ChannelConfig } from '../channels/channel-config';
import type { ChannelType } from '../channels/channel.entity';
import type { Language } from '../config/settings';
import type { LineMessage } from '../line/line-client.service';
import type { MemberRole } from '../members/member.entity';
import type { EventContext } from '../webhook/event-dispatcher';
import { CommandLookup, ParsedCommand } from './command-parser';

export interface CommandSpec {
  name: string;
  /** Extra words: `/word` forms need the slash; native words (規則) work alone and with a slash. */
  aliases?: string[];
  /** Only the owner, admins and operators may run it; others get a short refusal. */
  adminOnly?: boolean;
  /** Where it works; elsewhere it is refused politely. Default everywhere. */
  chatTypes?: ChannelType[];
}

export interface CommandContext {
  event: webhook.MessageEvent & { message: webhook.TextMessageContent };
  ctx: EventContext;
  channelId: string;
  channelType: ChannelType;
  userId: string | null;
  role: MemberRole | null;
  isOperator: boolean;
  config: ChannelConfig;
  language: Language;
}

/** Messages to reply with, or nothing to stay silent. */
export type CommandHandler = (cmd: ParsedCommand, chat: CommandContext) => Promise<LineMessage[] | void>;

interface Entry {
  spec: CommandSpec;
  handler: CommandHandler;
}

/** Modules register their in-chat commands here; one message handler parses and routes them. */
@Injectable()
export class CommandsRegistry {
  private readonly byName = new Map<string, Entry>();
  private readonly words = new Map<string, string>();

  register(spec: CommandSpec, handler: CommandHandler): void {
    if (this.byName.has(spec.name)) throw new Error(`Command "${spec.name}" registered twice`);
    this.byName.set(spec.name, { spec, handler });
    const aliases = (spec.aliases ?? []).flatMap((a) => (a.startsWith('/') ? [a] : [a, `/${a}`]));
    for (const word of [`/${spec.name}`, ...aliases]) {
      const key = word.normalize('NFKC').toLowerCase();
      const owner = this.words.get(key);
      if (owner) throw new Error(`Command word "${word}" is already used by "${owner}"`);
      this.words.set(key, spec.name);
    }
  }

  readonly lookup: CommandLookup = (word) => this.words.get(word);

  get(name: string): Entry | undefined {
    return this.byName.get(name);
  }
}
