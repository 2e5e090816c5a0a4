/**
 * The PostgreSQL backend: the JSONL store's semantics on a server. Every write transaction first
 * takes one transaction-scoped advisory lock, the same serialisation the JSONL directory lock
 * gives, so read-check-write sequences (workflow checks, dedupe keys, generation batches) never
 * race. Reads and aggregations run in SQL.
 */
import pg from "pg";
import type { Dashboard } from "../../domain/dashboard.js";
import { DASHBOARD_OVERDUE_SHOWN, DASHBOARD_TOP_SERVICES } from "../../domain/dashboard.js";
import { type BacklogEvent, type BacklogItem, canonicalItem, EVENT_TYPES, PRIORITIES, SOURCES, STATUSES } from "../../domain/item.js";
import type { LogEvent, LogQuery } from "../../domain/event-log.js";
import { type Report, type ReportFrame, REPORT_TOP_SERVICES, roundDays } from "../../domain/report.js";
import { type GeneratedRef, parseGeneratedKey } from "../../domain/week-over-week.js";
import { type ItemFilter, listOf, type OneOf, type Page, type QueryResult, type SortKey, type SortKeyName } from "../../domain/query.js";
import { BacklogError, conflict, storageUnavailable } from "../../errors.js";
import { BufferedTx, type ItemSource } from "../buffered-tx.js";
import type { CleanupOptions, CleanupReport, ImportSink, ImportSource, MigrationReport, Store, StoreDump, WriteOptions, WriteTx } from "../types.js";
import { connectionFailed, describeDsn } from "./connection.js";
import { LATEST_VERSION, MIGRATE_LOCK_KEY, MIGRATIONS, VERSION_TABLE_SQL, WRITE_LOCK_KEY } from "./schema.js";

const ITEM_COLUMNS = [
  "id", "created_at", "updated_at", "env", "service", "category", "title", "description", "priority",
  "status", "owner", "due_date", "source", "dedupe_key", "evidence_refs", "tags", "meta",
] as const;
const EVENT_COLUMNS = ["id", "item_id", "ts", "type", "message", "actor", "meta"] as const;
const ITEMS = ITEM_COLUMNS.join(", ");
const EVENTS = EVENT_COLUMNS.join(", ");
const ORDER = "ORDER BY priority, (due_date = ''), due_date, created_at, id";
const OPEN = "status NOT IN ('done', 'canceled')";
const STATEMENT_TIMEOUT_MS = 60_000;

export interface PgStoreOptions {
  dsn: string;
  lockTimeoutMs: number;
}

type Queryable = Pick<pg.PoolClient, "query">;

const ITEM_ENUMS: ReadonlyArray<[string, readonly string[]]> = [["priority", PRIORITIES], ["status", STATUSES], ["source", SOURCES]];
const EVENT_ENUMS: ReadonlyArray<[string, readonly string[]]> = [["type", EVENT_TYPES]];

/**
 * A row whose enum column holds another value (even a case variant) was written by hand, not by
 * backlog, which validates every write and import: it is reported (exit 6, naming table, row and
 * column), never coerced, and the fix is SQL. (The JSONL store, edited with any text editor,
 * reads case variants with a warning instead.)
 */
function checkEnums<R extends { id: string }>(table: string, row: R, enums: ReadonlyArray<[string, readonly string[]]>): R {
  for (const [column, allowed] of enums) {
    const value = (row as unknown as Record<string, unknown>)[column];
    if (typeof value === "string" && allowed.includes(value)) continue;
    const variant = typeof value === "string" ? allowed.find((a) => a.toLowerCase() === value.toLowerCase()) : undefined;
    throw storageUnavailable(
      `${table} row ${row.id}: ${column} ${JSON.stringify(value)} is not one of ${allowed.join("|")}`,
      `Correct the row with SQL, e.g. UPDATE ${table} SET ${column} = '${variant ?? allowed[0]}' WHERE id = '${row.id}'; backlog itself never writes such a value.`,
      "invalid_stored_value",
    );
  }
  return row;
}

const toItem = (row: BacklogItem): BacklogItem => canonicalItem(checkEnums("backlog_items", row, ITEM_ENUMS));
const toEvent = (row: BacklogEvent): BacklogEvent => {
  checkEnums("backlog_events", row, EVENT_ENUMS);
  return { id: row.id, item_id: row.item_id, ts: row.ts, type: row.type, message: row.message, actor: row.actor, meta: row.meta };
};

const zeroCounts = (keys: readonly string[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const key of keys) setCount(counts, key, 0);
  return counts;
};
/** An own property even for keys like `__proto__`, as aggregateDashboard of the pure core. */
function setCount(counts: Record<string, number>, key: string, value: number): void {
  Object.defineProperty(counts, key, { value, enumerable: true, writable: true, configurable: true });
}

/** WHERE clause and parameters for a filter, mirroring matchesFullFilter of the pure core. */
function where(f: ItemFilter, params: unknown[]): string {
  const parts: string[] = [];
  const param = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const oneOf = (column: string, wanted: OneOf | undefined) => {
    const list = listOf(wanted);
    if (list.length > 0) parts.push(`${column} = ANY(${param(list)})`);
  };
  oneOf("env", f.env);
  oneOf("service", f.service);
  oneOf("status", f.statuses);
  oneOf("owner", f.owner);
  oneOf("category", f.category);
  oneOf("priority", f.priority);
  if (f.dueBefore !== undefined) parts.push(`due_date <> '' AND due_date < ${param(f.dueBefore)}`);
  if (f.overdueAsOf !== undefined) parts.push(`${OPEN} AND due_date <> '' AND due_date < ${param(f.overdueAsOf)}`);
  if (f.updatedSince !== undefined) parts.push(`updated_at >= ${param(f.updatedSince)}`);
  // tags is json (kept verbatim for byte-exact export): every wanted tag is one of its elements.
  if (f.tags !== undefined && f.tags.length > 0) parts.push(`tags::jsonb @> ${param(JSON.stringify(f.tags))}::jsonb`);
  if (f.search !== undefined) {
    const p = param(`%${f.search.replace(/[\\%_]/g, "\\$&")}%`);
    parts.push(
      `(title ILIKE ${p} OR description ILIKE ${p} OR service ILIKE ${p} OR owner ILIKE ${p} OR id ILIKE ${p} OR dedupe_key ILIKE ${p}` +
        ` OR EXISTS (SELECT 1 FROM json_array_elements_text(tags) AS t(tag) WHERE t.tag ILIKE ${p}))`,
    );
  }
  return parts.length === 0 ? "" : `WHERE ${parts.join(" AND ")}`;
}

const SORT_SQL: Record<SortKeyName, string> = {
  priority: "priority",
  due: "(due_date = '') {dir}, due_date",
  created: "created_at",
  updated: "updated_at",
  service: "service",
  status: "array_position(ARRAY['open','in_progress','blocked','done','canceled']::text[], status::text)",
  title: "title COLLATE \"C\"",
};

/** ORDER BY of a sort: its keys, then the default order (comparatorFor of the pure core). */
function orderBy(sort: readonly SortKey[] = []): string {
  const keys = sort.map(({ key, desc }) => {
    const dir = desc ? "DESC" : "ASC";
    return `${SORT_SQL[key].replace("{dir}", dir)} ${dir}`;
  });
  return keys.length === 0 ? ORDER : `ORDER BY ${keys.join(", ")}, ${ORDER.slice("ORDER BY ".length)}`;
}

/** Rows whose `column` is one of `values`, keyed by that column: one query for the whole batch. */
async function rowsBy<R, T>(client: Queryable, select: string, column: string, values: readonly string[], convert: (row: R) => T): Promise<Map<string, T>> {
  const found = new Map<string, T>();
  if (values.length === 0) return found;
  const { rows } = await client.query(`${select} WHERE ${column} = ANY($1)`, [values]);
  for (const row of rows as Array<R & Record<string, string>>) found.set(row[column], convert(row));
  return found;
}

function sqlSource(client: Queryable): ItemSource {
  return {
    getItems: (ids) => rowsBy(client, `SELECT ${ITEMS} FROM backlog_items`, "id", ids, toItem),
    findByDedupeKeys: (keys) => rowsBy(client, `SELECT ${ITEMS} FROM backlog_items`, "dedupe_key", keys, toItem),
    getEvents: (ids) => rowsBy(client, `SELECT ${EVENTS} FROM backlog_events`, "id", ids, toEvent),
    // Answered by the partial index backlog_items_active_generated (migration 2).
    findActiveGenerated: async (prefix, env) =>
      (
        await client.query(
          `SELECT id, env, service, category, dedupe_key, created_at FROM backlog_items WHERE env = $1 AND ${OPEN} AND dedupe_key LIKE $2 ORDER BY created_at, id`,
          [env, `${prefix.replace(/[\\%_]/g, "\\$&")}:%`],
        )
      ).rows.filter((ref: GeneratedRef) => parseGeneratedKey(prefix, ref.dedupe_key) !== null),
  };
}

/** Writes a transaction's buffered items and events: one statement each, whatever the count. */
async function flush(client: Queryable, tx: BufferedTx): Promise<void> {
  await insertRows(client, tx.latestItems(), tx.events);
}

/** Items (each id once; a stored one is replaced) and events (in this order), one statement each. */
async function insertRows(client: Queryable, items: readonly BacklogItem[], events: readonly BacklogEvent[]): Promise<void> {
  if (items.length > 0) {
    const updates = ITEM_COLUMNS.filter((c) => c !== "id").map((c) => `${c} = EXCLUDED.${c}`).join(", ");
    await client.query(
      `INSERT INTO backlog_items (${ITEMS})
       SELECT ${ITEMS} FROM json_populate_recordset(NULL::backlog_items, $1::json)
       ON CONFLICT (id) DO UPDATE SET ${updates}`,
      [JSON.stringify(items)],
    );
  }
  if (events.length > 0) {
    await client.query(
      `INSERT INTO backlog_events (${EVENTS})
       SELECT ${EVENTS} FROM json_populate_recordset(NULL::backlog_events, $1::json) WITH ORDINALITY AS e
       ORDER BY e.ordinality`,
      [JSON.stringify(events)],
    );
  }
}

export class PgStore implements Store {
  readonly backend = "postgres";
  get location(): string {
    return describeDsn(this.options.dsn);
  }
  private readonly pool: pg.Pool;
  private schemaChecked = false;

  constructor(private readonly options: PgStoreOptions) {
    // A CLI needs one connection; transactions in one process queue for it.
    this.pool = new pg.Pool({ connectionString: options.dsn, max: 1, connectionTimeoutMillis: 5_000, statement_timeout: STATEMENT_TIMEOUT_MS });
    // An idle client that loses its server must not crash the process; the next query reports it.
    this.pool.on("error", () => undefined);
  }

  async listItems(filter: ItemFilter, page: Page): Promise<QueryResult> {
    return this.withClient(async (c) => {
      const params: unknown[] = [];
      const clause = where(filter, params);
      const total = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM backlog_items ${clause}`, params);
      const { rows } = await c.query<BacklogItem>(
        `SELECT ${ITEMS} FROM backlog_items ${clause} ${orderBy(page.sort)} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, page.limit, page.offset],
      );
      return { items: rows.map(toItem), total: total.rows[0].n };
    });
  }

  async getItem(id: string): Promise<BacklogItem | null> {
    return this.withClient(async (c) => (await sqlSource(c).getItems([id])).get(id) ?? null);
  }

  async listEvents(itemId: string): Promise<BacklogEvent[]> {
    return this.withClient(async (c) => {
      const { rows } = await c.query<BacklogEvent>(`SELECT ${EVENTS} FROM backlog_events WHERE item_id = $1 ORDER BY ts, seq`, [itemId]);
      return rows.map(toEvent);
    });
  }

  /**
   * Counts are sums of the counts the triggers of migration 3 keep (backlog_item_counts,
   * backlog_item_due_counts), grouped by the server: a few hundred rows are read, not the env's
   * items; only the busiest services and the overdue few shown come back as rows.
   */
  async dashboard(env: string, today: string, categories: readonly string[]): Promise<Dashboard> {
    return this.withClient(async (c) => {
      const counts = await c.query<{ status: string | null; priority: string | null; category: string | null; service: string | null; n: number; overdue: number }>(
        `WITH g AS (
           SELECT status, priority, category, service, sum(n)::int AS n
           FROM backlog_item_counts WHERE env = $1 AND n <> 0
           GROUP BY GROUPING SETS ((status), (priority), (category), (service), ())
         )
         SELECT *, (SELECT coalesce(sum(n), 0)::int FROM backlog_item_due_counts WHERE env = $1 AND due_date < $2) AS overdue
         FROM g WHERE service IS NULL
         UNION ALL (SELECT *, 0 FROM g WHERE service IS NOT NULL ORDER BY n DESC, service LIMIT ${DASHBOARD_TOP_SERVICES})`,
        [env, today],
      );
      const overdue = await c.query<BacklogItem>(
        `SELECT ${ITEMS} FROM backlog_items WHERE env = $1 AND ${OPEN} AND due_date <> '' AND due_date < $2 ${ORDER} LIMIT ${DASHBOARD_OVERDUE_SHOWN}`,
        [env, today],
      );
      const status_counts = zeroCounts(STATUSES);
      const priority_counts = zeroCounts(PRIORITIES);
      const category_counts = zeroCounts(categories);
      const top_services: Dashboard["top_services"] = [];
      let total = 0;
      let overdueCount = 0;
      // Every column is NOT NULL, so the one column set names the grouping set of a row.
      for (const row of counts.rows) {
        if (row.status !== null) setCount(status_counts, row.status, row.n);
        else if (row.priority !== null) setCount(priority_counts, row.priority, row.n);
        else if (row.category !== null) setCount(category_counts, row.category, row.n);
        else if (row.service !== null) top_services.push({ service: row.service, count: row.n });
        else {
          total = row.n ?? 0; // sum() over an env without items is NULL
          overdueCount = row.overdue;
        }
      }
      return { env, total, status_counts, priority_counts, category_counts, overdue: overdue.rows.map(toItem), overdue_count: overdueCount, top_services };
    });
  }

  async report(env: string, frames: readonly ReportFrame[]): Promise<Report> {
    return this.withClient(async (c) => {
      const weeks = await c.query<{ week: string; created: number; done: number; canceled: number; active: number; overdue: number; median: number | null }>(
        `WITH f AS (
           SELECT f.week, f.start::timestamptz AS start, f."end"::timestamptz AS "end", f.as_of::timestamptz AS as_of, f.as_of_day
           FROM json_to_recordset($2::json) AS f(week text, start text, "end" text, as_of text, as_of_day text)
         ),
         i AS (
           SELECT i.created_at::timestamptz AS created, i.due_date, i.status,
             CASE WHEN i.status IN ('done', 'canceled') THEN COALESCE(
               (SELECT max(e.ts) FROM backlog_events e WHERE e.item_id = i.id AND e.type = 'status_change' AND e.meta->>'to' = i.status),
               i.updated_at)::timestamptz END AS closed
           FROM backlog_items i WHERE i.env = $1
         )
         SELECT f.week,
           count(i.created) FILTER (WHERE i.created >= f.start AND i.created < f."end")::int AS created,
           count(i.created) FILTER (WHERE i.status = 'done' AND i.closed >= f.start AND i.closed < f."end")::int AS done,
           count(i.created) FILTER (WHERE i.status = 'canceled' AND i.closed >= f.start AND i.closed < f."end")::int AS canceled,
           count(i.created) FILTER (WHERE i.created < f.as_of AND (i.closed IS NULL OR i.closed >= f.as_of))::int AS active,
           count(i.created) FILTER (WHERE i.created < f.as_of AND (i.closed IS NULL OR i.closed >= f.as_of) AND i.due_date <> '' AND i.due_date < f.as_of_day)::int AS overdue,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM i.closed - i.created) / 86400)
             FILTER (WHERE i.status = 'done' AND i.closed >= f.start AND i.closed < f."end") AS median
         FROM f LEFT JOIN i ON true
         GROUP BY f.week, f.start ORDER BY f.start`,
        [env, JSON.stringify(frames)],
      );
      const top = await c.query<{ service: string; active: number }>(
        `SELECT service, count(*)::int AS active FROM backlog_items WHERE env = $1 AND ${OPEN}
         GROUP BY service ORDER BY count(*) DESC, service LIMIT ${REPORT_TOP_SERVICES}`,
        [env],
      );
      return {
        env,
        weeks: weeks.rows.map(({ median, ...w }) => ({ ...w, median_days_to_done: median === null ? null : roundDays(Number(median)) })),
        top_services: top.rows,
      };
    });
  }

  async eventLog(q: LogQuery): Promise<LogEvent[]> {
    return this.withClient(async (c) => {
      const params: unknown[] = [q.since];
      const parts = ["e.ts >= $1"];
      const add = (sql: string, value: string | undefined) => {
        if (value === undefined) return;
        params.push(value);
        parts.push(`${sql} = $${params.length}`);
      };
      add("e.actor", q.actor);
      add("e.type", q.type);
      add("i.env", q.env);
      add("i.service", q.service);
      params.push(q.limit);
      const { rows } = await c.query<BacklogEvent & { item_title: string | null }>(
        `SELECT ${EVENT_COLUMNS.map((col) => `e.${col}`).join(", ")}, i.title AS item_title
         FROM backlog_events e LEFT JOIN backlog_items i ON i.id = e.item_id
         WHERE ${parts.join(" AND ")} ORDER BY e.ts DESC, e.seq DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map((r) => ({ ...toEvent(r), item_title: r.item_title }));
    });
  }

  async write<T>(fn: (tx: WriteTx) => Promise<T>, options: WriteOptions = {}): Promise<T> {
    return this.transaction(async (c) => {
      if (!options.dryRun) await this.lockWrites(c);
      const tx = new BufferedTx(sqlSource(c));
      const result = await fn(tx);
      if (!options.dryRun) await flush(c, tx);
      return { result, commit: !options.dryRun };
    });
  }

  /**
   * An import in one transaction under the write lock: the records `fn` hands over are held until
   * its next question to the store (a batch's) and inserted then, so that no more than a batch is
   * ever held, and the rest at the end; anything `fn` throws rolls all of it back.
   */
  async importInOneCommit<T>(fn: (stored: ImportSource, sink: ImportSink) => Promise<T>): Promise<T> {
    return this.transaction(async (c) => {
      await this.lockWrites(c);
      let items: BacklogItem[] = [];
      let events: BacklogEvent[] = [];
      const written = async () => {
        const [i, e] = [items, events];
        items = [];
        events = [];
        await insertRows(c, i, e);
      };
      const sql = sqlSource(c);
      // Each question first writes what came before it (the transaction then sees it too).
      const afterWriting =
        <A extends unknown[], R>(ask: (...args: A) => Promise<R>) =>
        async (...args: A): Promise<R> => {
          await written();
          return ask(...args);
        };
      const stored: ImportSource = {
        getItems: afterWriting(sql.getItems),
        findByDedupeKeys: afterWriting(sql.findByDedupeKeys),
        getEvents: afterWriting((ids: readonly string[]) => sql.getEvents(ids)),
      };
      const result = await fn(stored, { item: (item) => items.push(item), event: (event) => events.push(event) });
      await written();
      return { result, commit: true };
    });
  }

  async cleanup({ cutoff, dryRun }: CleanupOptions): Promise<CleanupReport> {
    return this.transaction(async (c) => {
      await this.lockWrites(c);
      // "Bytes" are those of the items as JSON lines, comparable to the JSONL store's.
      const size = `SELECT count(*)::int AS lines, coalesce(sum(octet_length(row_to_json(i)::text) + 1), 0)::float8 AS bytes FROM (SELECT ${ITEMS} FROM backlog_items) i`;
      const before = (await c.query<{ lines: number; bytes: number }>(size)).rows[0];
      const doomed = `SELECT id FROM backlog_items WHERE status IN ('done', 'canceled') AND updated_at < $1`;
      const events = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM backlog_events WHERE item_id IN (${doomed})`, [cutoff]);
      const deleted = await c.query(`DELETE FROM backlog_items WHERE id IN (${doomed})`, [cutoff]);
      const after = (await c.query<{ lines: number; bytes: number }>(size)).rows[0];
      const report: CleanupReport = {
        deleted: deleted.rowCount ?? 0,
        events_deleted: events.rows[0].n,
        lines_before: before.lines,
        lines_after: after.lines,
        bytes_before: before.bytes,
        bytes_after: after.bytes,
        quarantined: 0,
      };
      return { result: report, commit: !dryRun };
    });
  }

  async migrate(dryRun: boolean): Promise<MigrationReport> {
    const client = await this.connect();
    try {
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATE_LOCK_KEY]);
      await client.query(VERSION_TABLE_SQL);
      const { rows } = await client.query<{ version: number }>("SELECT version FROM backlog_schema_version");
      const done = new Set(rows.map((r) => r.version));
      const pending = MIGRATIONS.filter((m) => !done.has(m.version));
      for (const m of pending) {
        await client.query(m.sql);
        await client.query("INSERT INTO backlog_schema_version (version, name) VALUES ($1, $2)", [m.version, m.name]);
      }
      await client.query(dryRun ? "ROLLBACK" : "COMMIT");
      const current = Math.max(0, ...done);
      return {
        applied: pending.map((m) => m.version),
        version: dryRun ? (current === 0 ? null : current) : LATEST_VERSION,
        sql: pending.map((m) => `-- ${m.version}: ${m.name}\n${m.sql}\n`).join("\n"),
      };
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw this.translate(error);
    } finally {
      client.release();
    }
  }

  /** One REPEATABLE READ, read-only transaction: both queries see the same committed state. */
  async dump(): Promise<StoreDump> {
    return this.withClient(async (c) => {
      await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      try {
        const items = await c.query<BacklogItem>(`SELECT ${ITEMS} FROM backlog_items ORDER BY created_at, id`);
        const events = await c.query<BacklogEvent>(`SELECT ${EVENTS} FROM backlog_events ORDER BY seq`);
        await c.query("COMMIT");
        return { items: items.rows.map(toItem), events: events.rows.map(toEvent) };
      } catch (error) {
        await c.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  private async lockWrites(c: Queryable): Promise<void> {
    await c.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(this.options.lockTimeoutMs))}`);
    await c.query("SELECT pg_advisory_xact_lock($1)", [WRITE_LOCK_KEY]);
  }

  private async transaction<T>(fn: (c: pg.PoolClient) => Promise<{ result: T; commit: boolean }>): Promise<T> {
    return this.withClient(async (c) => {
      await c.query("BEGIN");
      try {
        const { result, commit } = await fn(c);
        await c.query(commit ? "COMMIT" : "ROLLBACK");
        return result;
      } catch (error) {
        await c.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    });
  }

  private async withClient<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    // A server lost mid-command makes the client emit 'error' besides failing the pending query:
    // without a listener that event would end the process (exit 1); the query's error is reported.
    const ignoreLost = () => undefined;
    client.on("error", ignoreLost);
    let broken = false;
    try {
      if (!this.schemaChecked) {
        await this.checkSchema(client);
        this.schemaChecked = true;
      }
      return await fn(client);
    } catch (error) {
      const translated = this.translate(error);
      broken = translated instanceof BacklogError && translated.code === "backend_unreachable";
      throw translated;
    } finally {
      client.removeListener("error", ignoreLost);
      // A broken connection is dropped, not handed to the next query.
      client.release(broken);
    }
  }

  private async connect(): Promise<pg.PoolClient> {
    try {
      return await this.pool.connect();
    } catch (error) {
      throw connectionFailed(this.options.dsn, error);
    }
  }

  private async checkSchema(client: pg.PoolClient): Promise<void> {
    const where = describeDsn(this.options.dsn);
    let version = 0;
    try {
      version = (await client.query<{ v: number | null }>("SELECT max(version) AS v FROM backlog_schema_version")).rows[0].v ?? 0;
    } catch (error) {
      if ((error as { code?: string }).code !== "42P01") throw error;
    }
    if (version < LATEST_VERSION) {
      throw storageUnavailable(
        version === 0 ? `the database ${where} has no backlog schema` : `the backlog schema of ${where} is at version ${version}; this backlog needs ${LATEST_VERSION}`,
        "Run `backlog migrate --actor scheduler` (with the same DSN) to create or upgrade it.",
        "schema_missing",
      );
    }
    if (version > LATEST_VERSION) {
      throw storageUnavailable(`the backlog schema of ${where} is at version ${version}, newer than this backlog knows (${LATEST_VERSION})`, "Upgrade backlog on this machine.", "schema_too_new");
    }
  }

  /** Driver errors to the program's errors; anything unexpected is left as it is (exit 1). */
  private translate(error: unknown): unknown {
    if (error instanceof BacklogError) return error;
    const code = (error as { code?: string }).code;
    switch (code) {
      case "55P03":
        return storageUnavailable(
          `timed out after ${this.options.lockTimeoutMs} ms waiting for the write lock of ${describeDsn(this.options.dsn)}: another backlog command is writing`,
          "Retry when it has finished; raise BACKLOG_LOCK_TIMEOUT_MS to wait longer.",
          "lock_timeout",
        );
      case "57014":
        return storageUnavailable(`a statement ran longer than ${STATEMENT_TIMEOUT_MS} ms on ${describeDsn(this.options.dsn)}`, "Check the server's load and locks (pg_stat_activity).", "statement_timeout");
      case "23505":
        return conflict("duplicate_dedupe_key", `a unique key is already taken: ${(error as Error).message}`, "Use `backlog upsert` for an existing dedupe key.");
    }
    if (code !== undefined && /^(08|28|3D|57P)/.test(code)) return connectionFailed(this.options.dsn, error);
    if (error instanceof Error && /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EPIPE|terminated|Connection closed/i.test(`${code ?? ""} ${error.message}`)) return connectionFailed(this.options.dsn, error);
    return error;
  }
}
