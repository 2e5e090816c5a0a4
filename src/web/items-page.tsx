/** `/items`: the list with the filters of `backlog list`, as a GET form (every view has a URL). */
import { PRIORITIES, STATUSES, type BacklogItem } from "../domain/item.js";
import { itemsHref, Layout, type PageFrame } from "./layout.js";

/** The filters as they appear in the URL (strings, "" = not set). */
export interface ItemsView {
  env: string;
  service: string;
  status: string[];
  owner: string;
  category: string;
  priority: string;
  due_before: string;
  overdue: boolean;
  limit: number;
  offset: number;
}

export const viewParams = (v: ItemsView, offset = v.offset): Record<string, string | undefined> => ({
  env: v.env,
  service: v.service,
  status: v.status.join(","),
  owner: v.owner,
  category: v.category,
  priority: v.priority,
  due_before: v.due_before,
  overdue: v.overdue ? "1" : undefined,
  offset: offset > 0 ? String(offset) : undefined,
});

export function ItemsPage({ frame, view, items, total, categories }: { frame: PageFrame; view: ItemsView; items: BacklogItem[]; total: number; categories: readonly string[] }) {
  const shownTo = view.offset + items.length;
  return (
    <Layout frame={frame}>
      <h1>Items: {view.env}</h1>
      <form class="filters" method="get" action="/items" aria-label="Filter items">
        <input type="hidden" name="env" value={view.env} />
        <label>
          Service
          <input name="service" value={view.service} />
        </label>
        <label>
          Status
          <select name="status">
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option value={s} selected={view.status.length === 1 && view.status[0] === s}>
                {s}
              </option>
            ))}
          </select>
        </label>
        <label>
          Owner
          <input name="owner" value={view.owner} />
        </label>
        <label>
          Category
          <select name="category">
            <option value="">any</option>
            {categories.map((c) => (
              <option value={c} selected={view.category === c}>
                {c}
              </option>
            ))}
          </select>
        </label>
        <label>
          Priority
          <select name="priority">
            <option value="">any</option>
            {PRIORITIES.map((p) => (
              <option value={p} selected={view.priority === p}>
                {p}
              </option>
            ))}
          </select>
        </label>
        <label>
          Due before
          <input type="date" name="due_before" value={view.due_before} />
        </label>
        <label>
          Overdue only
          <input type="checkbox" name="overdue" value="1" checked={view.overdue} />
        </label>
        <button type="submit">Filter</button>
        <a href={itemsHref({ env: view.env })}>Clear</a>
      </form>
      {items.length === 0 ? (
        <p class="empty">{total === 0 ? "No items match these filters." : "No items on this page."}</p>
      ) : (
        <>
          <p class="muted" role="status">
            {view.offset + 1}–{shownTo} of {total}
          </p>
          <div class="table-wrap">
            <table class="items">
              <thead>
                <tr>
                  <th scope="col">Priority</th>
                  <th scope="col">Status</th>
                  <th scope="col">Title</th>
                  <th scope="col">Owner</th>
                  <th scope="col">Due</th>
                  <th scope="col" class="hide-narrow">
                    Service
                  </th>
                  <th scope="col" class="hide-narrow">
                    Category
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((item) => (
                  <tr>
                    <td class={`pri-${item.priority}`}>{item.priority}</td>
                    <td>{item.status}</td>
                    <td>
                      <a href={`/items/${encodeURIComponent(item.id)}`}>{item.title}</a>
                    </td>
                    <td>{item.owner}</td>
                    <td>{item.due_date}</td>
                    <td class="hide-narrow">{item.service}</td>
                    <td class="hide-narrow">{item.category}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav aria-label="Pages">
            {view.offset > 0 ? <a href={itemsHref(viewParams(view, Math.max(0, view.offset - view.limit)))}>Previous</a> : null}{" "}
            {shownTo < total ? <a href={itemsHref(viewParams(view, shownTo))}>Next</a> : null}
          </nav>
        </>
      )}
    </Layout>
  );
}
