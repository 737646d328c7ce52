import { Injectable, OnModuleInit } from '@nestjs/common';
import type { webhook } from '@line/bot-sdk';
import { MembersService } from '../members/members.service';
import { EventContext, EventDispatcher } from '../webhook/event-dispatcher';
import { ChannelRef, ChannelsService } from './channels.service';

/** Channel and member state runs before everything that reads it (commands 50, features 100). */
export const STATE_HANDLER_ORDER = 10;

/**
 * Keeps channels and members true to the events of each chat: join/leave, memberJoined/memberLeft,
 * follow/unfollow, and the senders of messages. Runs in standby too: only sending is forbidden there.
 */
@Injectable()
export class ChannelEventsHandler implements OnModuleInit {
  constructor(
    private readonly dispatcher: EventDispatcher,
    private readonly channels: ChannelsService,
    private readonly members: MembersService,
  ) {}

  onModuleInit(): void {
    const d = this.dispatcher;
    const order = STATE_HANDLER_ORDER;
    d.on('join', 'channels.join', (_e, ctx) => this.onJoin(ctx), order);
    d.on('leave', 'channels.leave', (_e, ctx) => this.onLeave(ctx), order);
    d.on('memberJoined', 'channels.memberJoined', (e, ctx) => this.onMemberJoined(e, ctx), order);
    d.on('memberLeft', 'channels.memberLeft', (e, ctx) => this.onMemberLeft(e, ctx), order);
    d.on('follow', 'channels.follow', (_e, ctx) => this.onFollow(ctx), order);
    d.on('unfollow', 'channels.unfollow', (_e, ctx) => this.onUnfollow(ctx), order);
    d.on('message', 'channels.message', (_e, ctx) => this.onMessage(ctx), order);
  }

  /** The bot was added: the channel is created or active again, then read from LINE. */
  private async onJoin(ctx: EventContext): Promise<void> {
    const ref = groupOrRoom(ctx);
    if (!ref) return;
    await this.channels.activate(ref, ctx.eventTime);
    await this.channels.refreshFromLine(ref.channelId);
  }

  private async onLeave(ctx: EventContext): Promise<void> {
    const ref = groupOrRoom(ctx);
    if (ref) await this.channels.disable(ref.channelId, ctx.eventTime);
  }

  private async onMemberJoined(event: webhook.MemberJoinedEvent, ctx: EventContext): Promise<void> {
    const ref = groupOrRoom(ctx);
    if (!ref) return;
    await this.ensureKnown(ref, ctx.eventTime);
    await this.channels.membersJoined(ref, userIdsOf(event.joined?.members), ctx.eventTime);
  }

  private async onMemberLeft(event: webhook.MemberLeftEvent, ctx: EventContext): Promise<void> {
    const ref = groupOrRoom(ctx);
    if (!ref) return;
    await this.ensureKnown(ref, ctx.eventTime);
    await this.channels.membersLeft(ref, userIdsOf(event.left?.members), ctx.eventTime);
  }

  private async onFollow(ctx: EventContext): Promise<void> {
    if (ctx.channelType === 'user' && ctx.userId) {
      await this.channels.openUserChat(ctx.userId, ctx.eventTime, true);
    }
  }

  private async onUnfollow(ctx: EventContext): Promise<void> {
    if (ctx.channelType === 'user' && ctx.userId) await this.channels.disable(ctx.userId, ctx.eventTime);
  }

  /** A 1:1 chat never followed (old friends) opens like a follow; a group sender becomes a member. */
  private async onMessage(ctx: EventContext): Promise<void> {
    if (ctx.channelType === 'user' && ctx.userId) {
      await this.channels.openUserChat(ctx.userId, ctx.eventTime, false);
      return;
    }
    const ref = groupOrRoom(ctx);
    if (!ref) return;
    await this.ensureKnown(ref, ctx.eventTime);
    // LINE leaves out the sender of some group events (users who did not consent).
    if (ctx.userId) await this.members.recordSender(ref, ctx.userId, ctx.eventTime);
  }

  /**
   * A chat the bot was in before this service knew it: recorded and read from LINE, until a read
   * finishes (a retry, or the restart after a crash, reads it again). A read that LINE cut short
   * (timeout, 429, 5xx) does not finish it: a later event reads it again, after a wait.
   */
  private async ensureKnown(ref: ChannelRef, at: Date): Promise<void> {
    const { unread } = await this.channels.ensure(ref, at);
    if (unread && this.channels.lineReadDue(ref.channelId))
      await this.channels.refreshFromLine(ref.channelId);
  }
}

function groupOrRoom(ctx: EventContext): ChannelRef | null {
  if (!ctx.channelId || (ctx.channelType !== 'group' && ctx.channelType !== 'room')) return null;
  return { channelId: ctx.channelId, type: ctx.channelType };
}

function userIdsOf(members: { userId?: string }[] | undefined): string[] {
  return (members ?? [])
    .map((m) => m.userId)
    .filter((id): id is string => typeof id === 'string' && id !== '');
}
