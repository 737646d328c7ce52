import { randomGroupId, randomRoomId } from './ids';
import type {
  FakeChat,
  FakeContent,
  FakeFriend,
  FakeGroupInit,
  FakeRoomInit,
  FakeUser,
  PushRecord,
  ReplyRecord,
  SentMessage,
} from './types';

export interface AcceptedPush {
  requestId: string;
  sentMessages: SentMessage[];
}

/** Everything the fake platform knows: chats, friends, message contents, and what it accepted. */
export class FakeLineState {
  readonly chats = new Map<string, FakeChat>();
  readonly friends = new Map<string, FakeFriend>();
  readonly contents = new Map<string, FakeContent & { notReadyLeft: number }>();
  /** Retry keys of accepted pushes (LINE keeps them 24 h; the fake until reset). */
  readonly retryKeys = new Map<string, AcceptedPush>();
  readonly usedReplyTokens = new Set<string>();
  readonly replies: ReplyRecord[] = [];
  readonly pushes: PushRecord[] = [];
  quota: { type: 'none' | 'limited'; value?: number } = { type: 'limited', value: 200 };
  /** Messages spent from the monthly quota (pushes only: replies are free). */
  quotaUsage = 0;

  addGroup(init: FakeGroupInit): FakeChat {
    const chat: FakeChat = {
      type: 'group',
      id: init.groupId ?? randomGroupId(),
      groupName: init.groupName ?? 'Test group',
      pictureUrl: init.pictureUrl,
      members: [...(init.members ?? [])],
      memberIdsForbidden: init.memberIdsForbidden ?? false,
      left: false,
    };
    this.chats.set(chat.id, chat);
    return chat;
  }

  addRoom(init: FakeRoomInit): FakeChat {
    const chat: FakeChat = {
      type: 'room',
      id: init.roomId ?? randomRoomId(),
      members: [...(init.members ?? [])],
      memberIdsForbidden: init.memberIdsForbidden ?? false,
      left: false,
    };
    this.chats.set(chat.id, chat);
    return chat;
  }

  /** A chat the bot is in, of the given type; undefined when unknown or left. */
  activeChat(type: 'group' | 'room', id: string): FakeChat | undefined {
    const chat = this.chats.get(id);
    return chat && chat.type === type && !chat.left ? chat : undefined;
  }

  chat(id: string): FakeChat {
    const chat = this.chats.get(id);
    if (!chat) throw new Error(`FakeLine: no group or room ${id} (add it with addGroup/addRoom first)`);
    return chat;
  }

  addMember(chatId: string, user: FakeUser): void {
    const chat = this.chat(chatId);
    chat.members = chat.members.filter((m) => m.userId !== user.userId).concat({ ...user });
  }

  removeMember(chatId: string, userId: string): void {
    const chat = this.chat(chatId);
    chat.members = chat.members.filter((m) => m.userId !== userId);
  }

  setContent(messageId: string, content: FakeContent): void {
    this.contents.set(messageId, { ...content, notReadyLeft: content.notReadyTimes ?? 0 });
  }
}
