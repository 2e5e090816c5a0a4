/**
 * The PostgreSQL schema, as ordered migrations. `backlog migrate` applies the missing ones in one
 * transaction and records each version in backlog_schema_version.
 *
 * Text columns use the "C" collation so that ORDER BY and comparisons are byte-wise, like the
 * JSONL store's string comparisons. Timestamps are stored as the ISO text the model uses and the
 * free-form fields as json (not jsonb, which reorders keys), so an export round-trips byte for
 * byte; due_date is '' when unset, as in the model.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Migration 3's dashboard counts. `backlog_item_counts` holds how many items each (env, status,
 * priority, category, service) has, `backlog_item_due_counts` how many active items with a due date
 * each (env, due_date) has; statement-level triggers on backlog_items change them in the same
 * transaction as every INSERT, UPDATE (ON CONFLICT included), DELETE (cleanup) or TRUNCATE, by
 * backlog or by hand, so they are never stale. `dashboard` sums them (a few hundred rows) instead
 * of aggregating the items. Keys no item has any more keep a row with n = 0, ignored by reads.
 * The triggers are created before the counts are filled: from then on a concurrent writer waits
 * for this migration's lock on backlog_items, and no write is counted twice or missed.
 *
 * backlog_items_status lets the count of `list --status` read an index only;
 * backlog_items_list_order is the default list order (ORDER in pg-store.ts), so a page of `list`
 * and the dashboard's overdue few are read in order and stop after the page.
 *
 * These constants are the text of an applied migration: never change them; a new rule is a new
 * migration that replaces the function.
 */
const ACTIVE_DUE = "status NOT IN ('done', 'canceled') AND due_date <> ''";
const COUNT_KEY = "env, status, priority, category, service";
const delta = (rows: string, sign: "" | "-") => ({
  counts: `SELECT ${COUNT_KEY}, ${sign}1 AS d FROM ${rows}`,
  due: `SELECT env, due_date, ${sign}1 AS d FROM ${rows} WHERE ${ACTIVE_DUE}`,
});
const apply = (parts: Array<ReturnType<typeof delta>>) =>
  `INSERT INTO backlog_item_counts AS c (${COUNT_KEY}, n)
      SELECT ${COUNT_KEY}, sum(d) FROM (${parts.map((p) => p.counts).join(" UNION ALL ")}) x
      GROUP BY ${COUNT_KEY} HAVING sum(d) <> 0 ORDER BY ${COUNT_KEY}
      ON CONFLICT (${COUNT_KEY}) DO UPDATE SET n = c.n + EXCLUDED.n;
    INSERT INTO backlog_item_due_counts AS c (env, due_date, n)
      SELECT env, due_date, sum(d) FROM (${parts.map((p) => p.due).join(" UNION ALL ")}) x
      GROUP BY env, due_date HAVING sum(d) <> 0 ORDER BY env, due_date
      ON CONFLICT (env, due_date) DO UPDATE SET n = c.n + EXCLUDED.n;`;
const DASHBOARD_COUNTS_SQL = `CREATE TABLE backlog_item_counts (
  env      text COLLATE "C" NOT NULL,
  status   text COLLATE "C" NOT NULL,
  priority text COLLATE "C" NOT NULL,
  category text COLLATE "C" NOT NULL,
  service  text COLLATE "C" NOT NULL,
  n        bigint NOT NULL,
  PRIMARY KEY (${COUNT_KEY})
);
CREATE TABLE backlog_item_due_counts (
  env      text COLLATE "C" NOT NULL,
  due_date text COLLATE "C" NOT NULL,
  n        bigint NOT NULL,
  PRIMARY KEY (env, due_date)
);
CREATE FUNCTION backlog_count_items() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    ${apply([delta("new_rows", "")])}
  ELSIF TG_OP = 'UPDATE' THEN
    ${apply([delta("new_rows", ""), delta("old_rows", "-")])}
  ELSIF TG_OP = 'DELETE' THEN
    ${apply([delta("old_rows", "-")])}
  ELSE
    DELETE FROM backlog_item_counts;
    DELETE FROM backlog_item_due_counts;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER backlog_items_count_insert AFTER INSERT ON backlog_items
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION backlog_count_items();
CREATE TRIGGER backlog_items_count_update AFTER UPDATE ON backlog_items
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION backlog_count_items();
CREATE TRIGGER backlog_items_count_delete AFTER DELETE ON backlog_items
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION backlog_count_items();
CREATE TRIGGER backlog_items_count_truncate AFTER TRUNCATE ON backlog_items
  FOR EACH STATEMENT EXECUTE FUNCTION backlog_count_items();
INSERT INTO backlog_item_counts (${COUNT_KEY}, n)
  SELECT ${COUNT_KEY}, count(*) FROM backlog_items GROUP BY ${COUNT_KEY};
INSERT INTO backlog_item_due_counts (env, due_date, n)
  SELECT env, due_date, count(*) FROM backlog_items WHERE ${ACTIVE_DUE} GROUP BY env, due_date;`;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "items and events",
    sql: `CREATE TABLE backlog_items (
  id            text COLLATE "C" PRIMARY KEY,
  created_at    text COLLATE "C" NOT NULL,
  updated_at    text COLLATE "C" NOT NULL,
  env           text COLLATE "C" NOT NULL,
  service       text COLLATE "C" NOT NULL,
  category      text COLLATE "C" NOT NULL,
  title         text NOT NULL,
  description   text NOT NULL DEFAULT '',
  priority      text COLLATE "C" NOT NULL,
  status        text COLLATE "C" NOT NULL,
  owner         text COLLATE "C" NOT NULL,
  due_date      text COLLATE "C" NOT NULL DEFAULT '',
  source        text NOT NULL,
  dedupe_key    text COLLATE "C" NOT NULL UNIQUE,
  evidence_refs json NOT NULL,
  tags          json NOT NULL,
  meta          json NOT NULL
);
CREATE INDEX backlog_items_env_status ON backlog_items (env, status);
CREATE INDEX backlog_items_service ON backlog_items (service);
CREATE INDEX backlog_items_due_date ON backlog_items (due_date);
CREATE INDEX backlog_items_owner ON backlog_items (owner);
CREATE INDEX backlog_items_category ON backlog_items (category);
CREATE TABLE backlog_events (
  seq     bigserial PRIMARY KEY,
  id      text COLLATE "C" NOT NULL UNIQUE,
  item_id text COLLATE "C" NOT NULL REFERENCES backlog_items (id) ON DELETE CASCADE,
  ts      text COLLATE "C" NOT NULL,
  type    text NOT NULL,
  message text NOT NULL,
  actor   text NOT NULL,
  meta    json NOT NULL
);
CREATE INDEX backlog_events_item_id ON backlog_events (item_id, seq);
CREATE INDEX backlog_events_ts ON backlog_events (ts);`,
  },
  {
    version: 2,
    name: "week over week: active generated items by env, events newest first",
    sql: `CREATE INDEX backlog_items_active_generated ON backlog_items (env, dedupe_key COLLATE "C")
  WHERE status NOT IN ('done', 'canceled');`,
  },
  {
    version: 3,
    name: "list through indexes, dashboard counts kept by triggers",
    sql: `CREATE INDEX backlog_items_status ON backlog_items (status);
CREATE INDEX backlog_items_list_order ON backlog_items (priority, (due_date = ''), due_date, created_at, id);
${DASHBOARD_COUNTS_SQL}`,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export const VERSION_TABLE_SQL = `CREATE TABLE IF NOT EXISTS backlog_schema_version (
  version    integer PRIMARY KEY,
  name       text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);`;

/** Serialises migrations and all writes; any fixed 64-bit numbers distinct from other apps' do. */
export const WRITE_LOCK_KEY = 7_294_113_801;
export const MIGRATE_LOCK_KEY = 7_294_113_802;
