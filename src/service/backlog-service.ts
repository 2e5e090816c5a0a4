/**
 * The service layer: every operation of the CLI and the tool protocol, taking plain arguments and
 * returning the JSON-shaped result. It checks entitlements before touching the store.
 */
import { MAX_RETENTION_DAYS, own } from "../domain/limits.js";
import { addCalendarDays, isoWeekOf, utcDate } from "../domain/calendar.js";
import type { Dashboard } from "../domain/dashboard.js";
import { newEventId, newItemId, type RandomHex } from "../domain/ids.js";
import { type BacklogEvent, type BacklogItem, emptyEvidence, type EventType, type Priority, type Status } from "../domain/item.js";
import { type ItemFieldName, type ItemFilter, type Page, type Since, sinceInstant } from "../domain/query.js";
import { authorize, ENTITLEMENTS, type Entitlement } from "../domain/rbac.js";
import { applyEdit, type EditChanges } from "../domain/edit.js";
import { applyUpsert, keptFields } from "../domain/upsert.js";
import { allowedTargets, canTransition } from "../domain/workflow.js";
import { conflict, invalidInput, notFound } from "../errors.js";
import { renderTitle } from "../domain/templates.js";
import type { Policy } from "../policy/types.js";
import type { CleanupReport, Store, WriteTx } from "../store/types.js";
import type { ItemInput } from "./item-input.js";
import { checkEnum } from "./list-query.js";

/** `list` as the CLI and the tool protocol ask for it: filters, `overdue` as of today, a page. */
export type ListQuery = Omit<ItemFilter, "overdueAsOf" | "updatedSince"> &
  Page & { overdue?: boolean; since?: Since; /** Keys the faces show; the service returns whole items. */ fields?: readonly ItemFieldName[] };

export interface ServiceDeps {
  store: Store;
  policy: Policy;
  actor: string;
  now: () => Date;
  randomHex: RandomHex;
}

export interface UpsertResult {
  action: "created" | "updated";
  item: BacklogItem;
  /** upsert of an existing item: the fields the input asked to change but that were kept (absent when none). */
  kept?: string[];
}

const itemNotFound = (id: string) =>
  notFound(`item ${id} not found`, "List ids with `backlog list --all` (ids look like bl_0123456789ab).", "item_not_found");

export class BacklogService {
  constructor(readonly deps: ServiceDeps) {}

  get policy(): Policy {
    return this.deps.policy;
  }

  today(): string {
    return utcDate(this.deps.now());
  }

  authorize(needed: Entitlement, action: string): void {
    authorize(this.deps.policy, this.deps.actor, needed, action);
  }

  async list(query: ListQuery) {
    const [filter, page] = this.listArguments(query);
    return this.deps.store.listItems(filter, page);
  }

  /**
   * `list`, its items handed to `each` a page of `size` at a time, in order (a whole answer need
   * not be held at once: `list --all` of a large store is printed as it is read).
   */
  async listInPages(query: ListQuery, size: number, each: (items: BacklogItem[]) => void): Promise<{ total: number; shown: number }> {
    const [filter, page] = this.listArguments(query);
    return this.itemPages(filter, page, size, each);
  }

  /** The store's items for `filter` and `page`, a page of `size` at a time where it can (else sliced from its whole answer); no check of the caller's rights. */
  async itemPages(filter: ItemFilter, page: Page, size: number, each: (items: BacklogItem[]) => void): Promise<{ total: number; shown: number }> {
    const store = this.deps.store;
    if (store.eachItemPage) return store.eachItemPage(filter, page, size, each);
    const { items, total } = await store.listItems(filter, page);
    for (let from = 0; from < items.length; from += size) each(items.slice(from, from + size));
    return { total, shown: items.length };
  }

  private listArguments(query: ListQuery): [ItemFilter, Page] {
    this.authorize(ENTITLEMENTS.read, "list");
    const { overdue, since, limit, offset, sort, fields: _fields, ...filter } = query;
    const bounds = { overdueAsOf: overdue ? this.today() : undefined, updatedSince: since ? sinceInstant(since, this.deps.now()) : undefined };
    return [{ ...filter, ...bounds }, { limit, offset, sort }];
  }

  async get(id: string): Promise<{ item: BacklogItem; events: BacklogEvent[] }> {
    this.authorize(ENTITLEMENTS.read, "get");
    const store = this.deps.store;
    if (store.getItemWithEvents) {
      const found = await store.getItemWithEvents(id);
      if (!found) throw itemNotFound(id);
      return found;
    }
    const item = await store.getItem(id);
    if (!item) throw itemNotFound(id);
    return { item, events: await this.deps.store.listEvents(id) };
  }

  async dashboard(env: string): Promise<Dashboard> {
    this.authorize(ENTITLEMENTS.read, "dashboard");
    checkEnum("env", env, this.deps.policy.envs);
    return this.deps.store.dashboard(env, this.today(), Object.keys(this.deps.policy.categories));
  }

  async create(input: ItemInput): Promise<UpsertResult> {
    this.authorize(ENTITLEMENTS.write, "create");
    return this.deps.store.write(async (tx) => {
      const existing = await this.holderOf(tx, input.dedupe_key);
      if (existing) {
        throw conflict(
          "duplicate_dedupe_key",
          `dedupe key "${existing.dedupe_key}" is already taken by ${existing.id}`,
          `Use \`backlog upsert\` to update ${existing.id}, or pass another --dedupe-key.`,
        );
      }
      const [id] = await this.freshIds(tx, 1);
      const item = this.buildItem(input, id);
      this.recordCreate(tx, item, {});
      return { action: "created", item };
    });
  }

  async upsert(input: ItemInput): Promise<UpsertResult> {
    this.authorize(ENTITLEMENTS.write, "upsert");
    return this.deps.store.write(async (tx) => {
      const existing = await this.holderOf(tx, input.dedupe_key);
      if (existing) {
        const kept = keptFields(existing, input);
        return { action: "updated", item: this.recordUpdate(tx, existing, input, {}), ...(kept.length > 0 ? { kept } : {}) };
      }
      const [id] = await this.freshIds(tx, 1);
      const item = this.buildItem(input, id);
      this.recordCreate(tx, item, {});
      return { action: "created", item };
    });
  }

  /** To the status the item already has: nothing written, `event` null (scripts may retry safely). */
  async setStatus(id: string, status: Status, message?: string): Promise<{ item: BacklogItem; event: BacklogEvent | null }> {
    this.authorize(ENTITLEMENTS.write, "set-status");
    return this.deps.store.write(async (tx) => this.transition(tx, id, status, message));
  }

  async close(id: string, status: "done" | "canceled", message?: string): Promise<{ item: BacklogItem; events: BacklogEvent[] }> {
    this.authorize(ENTITLEMENTS.write, "close");
    return this.deps.store.write(async (tx) => {
      const { item, event } = await this.transition(tx, id, status, message);
      return { item, events: event === null ? [] : [event] };
    });
  }

  /**
   * Changes the editable fields of an item: one `edited` event whose meta maps each changed field
   * to `{from, to}`. Nothing changed: nothing is written, and the event is null.
   */
  async edit(id: string, changes: EditChanges): Promise<{ item: BacklogItem; event: BacklogEvent | null }> {
    this.authorize(ENTITLEMENTS.write, "edit");
    return this.deps.store.write(async (tx) => {
      const existing = await tx.getItem(id);
      if (!existing) throw itemNotFound(id);
      const { item, changes: diff } = applyEdit(existing, changes, this.deps.now().toISOString());
      const fields = Object.keys(diff);
      if (fields.length === 0) return { item: existing, event: null };
      tx.putItem(item);
      return { item, event: this.addEvent(tx, id, "edited", `edited ${fields.join(", ")}`, diff) };
    });
  }

  async comment(id: string, message: string): Promise<{ event: BacklogEvent }> {
    this.authorize(ENTITLEMENTS.write, "comment");
    return this.deps.store.write(async (tx) => {
      if (!(await tx.getItem(id))) throw itemNotFound(id);
      return { event: this.addEvent(tx, id, "comment", message, {}) };
    });
  }

  async cleanup(retentionDays: number | undefined, dryRun: boolean): Promise<CleanupReport> {
    this.authorize(ENTITLEMENTS.admin, "cleanup");
    const days = retentionDays ?? this.deps.policy.defaults.retention_days;
    // Every door (flag, tool request, HTTP body) gets the same range: a date past year 9999 is no date.
    if (!Number.isInteger(days) || days < 0 || days > MAX_RETENTION_DAYS) {
      throw invalidInput(`retention_days ${days} is out of range`, `Use a whole number of days from 0 to ${MAX_RETENTION_DAYS}.`);
    }
    const cutoff = new Date(this.deps.now().getTime() - days * 86_400_000).toISOString();
    return this.deps.store.cleanup({ cutoff, dryRun });
  }

  /** The item holding a dedupe key; without one (`manual:<new id>`) nothing can hold it yet. */
  private async holderOf(tx: WriteTx, dedupeKey: string | undefined): Promise<BacklogItem | undefined> {
    return dedupeKey === undefined ? undefined : (await tx.findByDedupeKeys([dedupeKey])).get(dedupeKey);
  }

  /**
   * `count` item ids that no stored item has: drawn at random and checked in one batch, so a run
   * that creates hundreds of items asks the store once (one query, on PostgreSQL), not per item.
   */
  async freshIds(tx: WriteTx, count: number): Promise<string[]> {
    const ids = new Set<string>();
    while (ids.size < count) {
      const drawn: string[] = [];
      while (ids.size + drawn.length < count) drawn.push(newItemId(this.deps.randomHex));
      const taken = await tx.getItems(drawn);
      for (const id of drawn) if (!taken.has(id)) ids.add(id);
    }
    return [...ids];
  }

  /** A new item with id `id`, from input and the policy's defaults (not yet written). */
  buildItem(input: ItemInput, id: string, week?: string): BacklogItem {
    const policy = this.deps.policy;
    const category = own(policy.categories, input.category);
    if (!category) throw invalidInput(`unknown category "${input.category}"`, `Use one of ${Object.keys(policy.categories).join("|")}.`);
    const now = this.deps.now();
    const env = input.env ?? "prod";
    return {
      id,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
      env,
      service: input.service,
      category: input.category,
      title: input.title ?? renderTitle(category.title, { service: input.service, env, week: week ?? isoWeekOf(utcDate(now)) }),
      description: input.description ?? "",
      priority: input.priority ?? category.priority,
      status: input.status ?? "open",
      owner: input.owner ?? own(policy.ownership.overrides, input.service) ?? policy.ownership.default_owner,
      due_date: input.due_date ?? addCalendarDays(utcDate(now), category.due_days),
      source: input.source ?? "manual",
      dedupe_key: input.dedupe_key ?? `manual:${id}`,
      evidence_refs: input.evidence_refs ?? emptyEvidence(),
      tags: [...new Set(input.tags ?? [])],
      meta: input.meta ?? {},
    };
  }

  recordCreate(tx: WriteTx, item: BacklogItem, meta: Record<string, unknown>): void {
    tx.putItem(item);
    this.addEvent(tx, item.id, "created", "created", { source: item.source, dedupe_key: item.dedupe_key, ...meta });
  }

  /** Applies upsert semantics; writes an auto_update event only when something changed. */
  recordUpdate(tx: WriteTx, existing: BacklogItem, input: ItemInput, meta: Record<string, unknown>): BacklogItem {
    const { item, changed } = applyUpsert(existing, input, this.deps.now().toISOString());
    if (changed.length === 0) return existing;
    tx.putItem(item);
    this.addEvent(tx, item.id, "auto_update", `updated ${changed.join(", ")}`, { fields: changed, ...meta });
    return item;
  }

  /** Raises a carried-over item's priority to `to`, with the `edited` event that says why. */
  recordEscalation(tx: WriteTx, item: BacklogItem, to: Priority, weeksSeen: number): BacklogItem {
    const next: BacklogItem = { ...item, priority: to, updated_at: this.deps.now().toISOString() };
    tx.putItem(next);
    // The meta has the shape of every `edited` event (field → from/to); the reason is the message.
    this.addEvent(tx, item.id, "edited", `escalated ${item.priority} → ${to}: seen ${weeksSeen} weeks (generation.escalate_after_weeks)`, {
      priority: { from: item.priority, to },
    });
    return next;
  }

  private async transition(tx: WriteTx, id: string, to: Status, message?: string): Promise<{ item: BacklogItem; event: BacklogEvent | null }> {
    const item = await tx.getItem(id);
    if (!item) throw itemNotFound(id);
    if (item.status === to) return { item, event: null };
    const transitions = this.deps.policy.workflow.allowed_transitions;
    if (!canTransition(transitions, item.status, to)) {
      const allowed = allowedTargets(transitions, item.status);
      throw conflict(
        "transition_forbidden",
        `cannot move ${id} from ${item.status} to ${to}`,
        allowed.length > 0
          ? `From ${item.status} the workflow allows: ${allowed.join(", ")}.`
          : `${item.status} is terminal: nothing may follow it. Create a new item if the work is back.`,
      );
    }
    const next: BacklogItem = { ...item, status: to, updated_at: this.deps.now().toISOString() };
    tx.putItem(next);
    const event = this.addEvent(tx, id, "status_change", message ?? `${item.status} → ${to}`, { from: item.status, to });
    return { item: next, event };
  }

  private addEvent(tx: WriteTx, itemId: string, type: EventType, message: string, meta: Record<string, unknown>): BacklogEvent {
    const event: BacklogEvent = {
      id: newEventId(this.deps.randomHex),
      item_id: itemId,
      ts: this.deps.now().toISOString(),
      type,
      message,
      actor: this.deps.actor,
      meta,
    };
    tx.addEvent(event);
    return event;
  }
}
