/** Random ids: `bl_` / `ev_` and 12 lowercase hex digits. The randomness is injected. */
export type RandomHex = (bytes: number) => string;

export const newItemId = (randomHex: RandomHex) => `bl_${randomHex(6)}`;
export const newEventId = (randomHex: RandomHex) => `ev_${randomHex(6)}`;
