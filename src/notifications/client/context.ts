"use client";
/**
 * The provider's two contexts. Split so components that only register listeners or
 * subscriptions (stable API) do not re-render on every progress tick (changing state).
 */
import { createContext, useContext } from "react";
import type { ClientFrame, ServerFrame } from "../shared/protocol";
import type { ProgressStore } from "./progress";
import type { ConnectionState } from "./socket";
import type { ChannelSubscriptionState } from "./subscription-state";
import type { SubscriptionHandle, SubscriptionRequest } from "./subscriptions";

export type FrameListener = (frame: ServerFrame) => void;

/** Stable for the provider's lifetime. */
export interface NotificationsApi {
  /** Calls `listener` with every frame received (notifications after dedupe, and control frames). Returns the remover. */
  addFrameListener(listener: FrameListener): () => void;
  /**
   * Subscribes to channels and/or a token until the returned handle is called (it releases the
   * request); `handle.getState()` / `handle.onStateChange()` follow where it stands.
   */
  subscribe(request: SubscriptionRequest): SubscriptionHandle;
  /** Drops channels from the live subscription set. */
  unsubscribe(channels: readonly string[]): void;
  /** Where one channel stands, over every request of this tab (interned: same object until it changes). */
  getSubscriptionState(channel: string): ChannelSubscriptionState;
  /** Calls `listener` after any subscription state changes. Returns the remover. */
  onSubscriptionsChange(listener: () => void): () => void;
  /** Sends a client frame if the socket is open. */
  send(frame: ClientFrame): boolean;
}

/** Changes as frames arrive. */
export interface NotificationsState {
  connection: ConnectionState;
  progress: ProgressStore;
  /** Extra channels the server granted this tab's socket. */
  channels: readonly string[];
}

export const NotificationsApiContext = createContext<NotificationsApi | null>(null);
export const NotificationsStateContext = createContext<NotificationsState | null>(null);

function missingProvider(hook: string): Error {
  return new Error(`${hook} must be used inside <NotificationsProvider> (put it in the root layout).`);
}

export function useNotificationsApiContext(hook: string): NotificationsApi {
  const api = useContext(NotificationsApiContext);
  if (api === null) throw missingProvider(hook);
  return api;
}

export function useNotificationsStateContext(hook: string): NotificationsState {
  const state = useContext(NotificationsStateContext);
  if (state === null) throw missingProvider(hook);
  return state;
}
