/** migrate, export and import: moving a backlog between backends. */
import { ENTITLEMENTS } from "../domain/rbac.js";
import { exportLines, type LineSource, parseExport, planImport } from "../domain/transfer.js";
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

/** Loads an export (its text, or its lines as read) in one transaction: new items and events are written, identical ones skipped. */
export async function runImport(service: BacklogService, text: string | LineSource, origin: string): Promise<{ items: number; events: number }> {
  service.authorize(ENTITLEMENTS.admin, "import");
  const policy = service.policy;
  const incoming = parseExport(text, { item: (raw) => storedItemProblems(raw, policy), event: storedEventProblems });
  if (incoming.errors.length > 0) {
    throw invalidInput(
      `${origin} has ${incoming.errors.length} invalid record${incoming.errors.length === 1 ? "" : "s"}; nothing was imported:\n  ${listed(incoming.errors)}`,
      "Import a file written by `backlog export`; every record must pass the checks of `backlog create` (and the policy's envs and categories).",
      "invalid_import",
    );
  }
  return service.deps.store.write(async (tx) => {
    const plan = planImport(incoming, {
      byId: await tx.getItems(incoming.items.map((i) => i.value.id)),
      byKey: await tx.findByDedupeKeys(incoming.items.map((i) => i.value.dedupe_key)),
      events: await tx.getEvents(incoming.events.map((e) => e.value.id)),
    });
    if (plan.conflicts.length > 0) {
      throw conflict(
        "import_conflict",
        `${origin} conflicts with the store; nothing was imported:\n  ${listed(plan.conflicts)}`,
        "Import into an empty store, or resolve the items named above (export both sides and compare).",
      );
    }
    for (const item of plan.items) tx.putItem(item);
    for (const event of plan.events) tx.addEvent(event);
    return { items: plan.items.length, events: plan.events.length };
  });
}
