import type { Readable } from 'node:stream';
import type { messagingApi } from '@line/bot-sdk';

export type LineMessage = messagingApi.Message;

export interface ChatRef {
  type: 'group' | 'room';
  id: string;
}

export interface SentMessage {
  id: string;
  quoteToken?: string;
}

export interface MemberProfile {
  userId: string;
  displayName: string;
  pictureUrl?: string;
}

export interface UserProfile extends MemberProfile {
  statusMessage?: string;
  language?: string;
}

export interface GroupSummary {
  groupId: string;
  groupName: string;
  pictureUrl?: string;
}

/** 202 while LINE still prepares a video or audio: ask again later. */
export type MessageContent =
  | { status: 'ready'; stream: Readable; contentType: string; contentLength?: number }
  | { status: 'not-ready' };
