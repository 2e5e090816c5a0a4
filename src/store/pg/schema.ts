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
