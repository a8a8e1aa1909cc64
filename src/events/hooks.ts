"use client";
/** The demo's typed event hooks (see ./index.ts). */
import { createEventHooks } from "next-channels-broadcast/client";
import { events } from "./index";

export const { useEvent } = createEventHooks(events);
