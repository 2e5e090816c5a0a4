/** The files of a JSONL data directory, by name. */
import { basename, dirname, join } from "node:path";

export const ITEMS_FILE = "items.jsonl";
export const EVENTS_FILE = "events.jsonl";

/** The saved index of a log: a hidden cache file beside it. */
export const indexPathOf = (logPath: string) => join(dirname(logPath), `.${basename(logPath)}.index`);

/** The saved id list of the items log (jsonl-ids.ts): a hidden cache file beside it. */
export const idsPathOf = (logPath: string) => join(dirname(logPath), `.${basename(logPath)}.ids`);
