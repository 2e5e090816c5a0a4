/** `/items/:id`: one item, its fields and its timeline (status changes from → to, comments, edits). */
import type { BacklogEvent, BacklogItem } from "../domain/item.js";
import { itemsHref, Layout, type PageFrame } from "./layout.js";

const EVENT_LABEL: Record<string, string> = {
  created: "Created",
  status_change: "Status",
  comment: "Comment",
  auto_update: "Updated",
  edit: "Edited",
};

function EventLine({ event }: { event: BacklogEvent }) {
  const from = typeof event.meta.from === "string" ? event.meta.from : undefined;
  const to = typeof event.meta.to === "string" ? event.meta.to : undefined;
  return (
    <li data-event={event.type}>
      <strong>{EVENT_LABEL[event.type] ?? event.type}</strong>{" "}
      {event.type === "status_change" && from && to ? (
        <span class="transition">
          {from} → {to}
        </span>
      ) : null}{" "}
      <span class="muted">
        <time datetime={event.ts}>{event.ts}</time> by {event.actor}
      </span>
      {event.message && !(event.type === "status_change" && event.message === `${from} → ${to}`) ? <p>{event.message}</p> : null}
    </li>
  );
}

export function ItemPage({ frame, item, events }: { frame: PageFrame; item: BacklogItem; events: BacklogEvent[] }) {
  const fields: Array<[string, string]> = [
    ["Id", item.id],
    ["Env", item.env],
    ["Service", item.service],
    ["Category", item.category],
    ["Priority", item.priority],
    ["Status", item.status],
    ["Owner", item.owner],
    ["Due", item.due_date || "none"],
    ["Source", item.source],
    ["Tags", item.tags.join(", ") || "none"],
    ["Created", item.created_at],
    ["Updated", item.updated_at],
  ];
  return (
    <Layout frame={frame}>
      <p>
        <a href={itemsHref({ env: item.env })}>← Items in {item.env}</a>
      </p>
      <h1>{item.title}</h1>
      <dl class="fields">
        {fields.map(([k, v]) => (
          <>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </>
        ))}
      </dl>
      {item.description ? (
        <section aria-labelledby="h-description">
          <h2 id="h-description">Description</h2>
          <pre class="description">{item.description}</pre>
        </section>
      ) : null}
      <section aria-labelledby="h-timeline">
        <h2 id="h-timeline">Timeline</h2>
        {events.length === 0 ? (
          <p class="empty">No events recorded.</p>
        ) : (
          <ol class="timeline">
            {events.map((e) => (
              <EventLine event={e} />
            ))}
          </ol>
        )}
      </section>
    </Layout>
  );
}
