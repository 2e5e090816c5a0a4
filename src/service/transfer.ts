/** migrate, export and import: moving a backlog between backends. */
import { ENTITLEMENTS } from "../domain/rbac.js";
import { crc32 } from "node:zlib";
import type { BacklogEvent, BacklogItem } from "../domain/item.js";
import { ExportReader, exportLines, type LineSource, type Numbered, type ParsedExport, parseExport, planEvent, planImport, planItem, readCheckedRecord } from "../domain/transfer.js";
import { conflict, invalidInput } from "../errors.js";
import type { BacklogService } from "./backlog-service.js";
import { storedEventProblems, storedItemProblems } from "./item-input.js";

const MAX_LISTED = 20;

const listed = (lines: string[]) =>
  lines.slice(0, MAX_LISTED).join("\n  ") + (lines.length > MAX_LISTED ? `\n  …and ${lines.length - MAX_LISTED} more` : "");

export async function runMigrate(service: BacklogService, dryRun: boolean) {
  service.authorize(ENTITLEMENTS.admin, "migrate");
  const store = service.deps.store;
  const report = await store.migrate(dryRun);
  return { backend: store.backend, applied: report.applied, version: report.version, sql: report.sql };
}

/**
 * The export, handed to `write` a part at a time (each part whole lines): a store of any size in
 * the memory of one page of items or events. The parts joined are exportLines of the whole dump.
 */
export async function runExport(service: BacklogService, write: (text: string) => void): Promise<{ items: number; events: number }> {
  service.authorize(ENTITLEMENTS.read, "export");
  const store = service.deps.store;
  if (store.dumpInPages) return store.dumpInPages(EXPORT_PAGE, (page) => write(exportLines(page.items, page.events)));
  const { items, events } = await store.dump();
  write(exportLines(items, events));
  return { items: items.length, events: events.length };
}

/** Items or events read and written at a time by an export (few: see PAGE_SIZE in commands/read.ts). */
const EXPORT_PAGE = 50;

/** Records of an import compared with the store at a time (one-commit imports, see importInOneCommit). */
const IMPORT_BATCH = 1000;

const invalidRecords = (origin: string, errors: readonly string[]) =>
  invalidInput(
    `${origin} has ${errors.length} invalid record${errors.length === 1 ? "" : "s"}; nothing was imported:\n  ${listed([...errors])}`,
    "Import a file written by `backlog export`; every record must pass the checks of `backlog create` (and the policy's envs and categories).",
    "invalid_import",
  );

const conflicting = (origin: string, conflicts: readonly string[]) =>
  conflict(
    "import_conflict",
    `${origin} conflicts with the store; nothing was imported:\n  ${listed([...conflicts])}`,
    "Import into an empty store, or resolve the items named above (export both sides and compare).",
  );

/**
 * Loads an export (its text, or its lines, read again at each call) in one transaction: new items
 * and events are written, identical ones skipped, and any invalid record or conflict writes
 * nothing. Where the store can (JSONL, PostgreSQL), the file is read twice and never held: once to
 * check every record, keeping only ids, keys and a CRC-32 of its lines; then, in one commit (one
 * transaction), a batch of records at a time compared with the store and the new ones written.
 */
export async function runImport(service: BacklogService, text: string | LineSource, origin: string): Promise<{ items: number; events: number }> {
  service.authorize(ENTITLEMENTS.admin, "import");
  const policy = service.policy;
  const checks = { item: (raw: unknown) => storedItemProblems(raw, policy), event: storedEventProblems };
  const lines: LineSource = typeof text === "string" ? () => text.split("\n") : text;
  const store = service.deps.store;
  if (!store.importInOneCommit) return importPlanned(service, parseExport(lines, checks), origin);
  const reader = new ExportReader(checks);
  let checked = 0;
  for (const line of lines()) {
    reader.read(line);
    checked = crc32(line, crc32("\n", checked));
  }
  if (reader.errors.length > 0) throw invalidRecords(origin, reader.errors);
  // Of what the check kept, the file's item ids alone are used from here on (the reader, with the
  // ids of every event and dedupe key, is garbage).
  const fileItems = reader.itemLines;
  return store.importInOneCommit(async (stored, sink) => {
    const itemConflicts: string[] = [];
    const eventConflicts: string[] = [];
    const written = { items: 0, events: 0 };
    // Once a conflict is found nothing more is written (all is cut back), but every conflict is still listed.
    const clean = () => itemConflicts.length + eventConflicts.length === 0;
    let items: Array<Numbered<BacklogItem>> = [];
    let events: Array<Numbered<BacklogEvent>> = [];
    const itemBatch = async () => {
      const byId = await stored.getItems(items.map((i) => i.value.id));
      const byKey = await stored.findByDedupeKeys(items.map((i) => i.value.dedupe_key));
      for (const { line, value } of items) {
        const outcome = planItem(line, value, byId.get(value.id), byKey.get(value.dedupe_key));
        if (typeof outcome === "object") itemConflicts.push(outcome.conflict);
        else if (outcome === "new" && clean()) {
          sink.item(value);
          written.items += 1;
        }
      }
      items = [];
    };
    const eventBatch = async () => {
      const current = await stored.getEvents(
        events.map((e) => e.value.id),
        events.map((e) => e.value.item_id),
      );
      // An event's item is known when the file has it or the store does.
      const elsewhere = [...new Set(events.map((e) => e.value.item_id).filter((id) => !fileItems.has(id)))];
      const storedItems = elsewhere.length === 0 ? new Map<string, BacklogItem>() : await stored.getItems(elsewhere);
      for (const { line, value } of events) {
        const outcome = planEvent(line, value, current.get(value.id), fileItems.has(value.item_id) || storedItems.has(value.item_id));
        if (typeof outcome === "object") eventConflicts.push(outcome.conflict);
        else if (outcome === "new" && clean()) {
          sink.event(value);
          written.events += 1;
        }
      }
      events = [];
    };
    let lineNo = 0;
    let again = 0;
    for (const line of lines()) {
      lineNo += 1;
      again = crc32(line, crc32("\n", again));
      const record = readCheckedRecord(line, lineNo);
      if (record instanceof Error) throw changedWhileImported(origin);
      if (record?.kind === "item") items.push(record);
      else if (record?.kind === "event") events.push(record);
      if (items.length >= IMPORT_BATCH) await itemBatch();
      if (events.length >= IMPORT_BATCH) await eventBatch();
    }
    if (items.length > 0) await itemBatch();
    if (events.length > 0) await eventBatch();
    // The bytes written are those checked: the file did not change between the two reads.
    if (again !== checked) throw changedWhileImported(origin);
    if (!clean()) throw conflicting(origin, [...itemConflicts, ...eventConflicts]);
    return written;
  });
}

const changedWhileImported = (origin: string) =>
  invalidInput(`${origin} changed while it was imported; nothing was imported`, "Import a file that nothing writes to meanwhile (a copy of the export).", "invalid_import");

/** An import planned whole in memory (stores without importInOneCommit), then written in one transaction. */
async function importPlanned(service: BacklogService, incoming: ParsedExport, origin: string): Promise<{ items: number; events: number }> {
  if (incoming.errors.length > 0) throw invalidRecords(origin, incoming.errors);
  return service.deps.store.write(async (tx) => {
    const plan = planImport(incoming, {
      // The items the file's events name too: an event of a stored item not in the file is known.
      byId: await tx.getItems([...new Set([...incoming.items.map((i) => i.value.id), ...incoming.events.map((e) => e.value.item_id)])]),
      byKey: await tx.findByDedupeKeys(incoming.items.map((i) => i.value.dedupe_key)),
      events: await tx.getEvents(incoming.events.map((e) => e.value.id)),
    });
    if (plan.conflicts.length > 0) throw conflicting(origin, plan.conflicts);
    for (const item of plan.items) tx.putItem(item);
    for (const event of plan.events) tx.addEvent(event);
    return { items: plan.items.length, events: plan.events.length };
  });
}
