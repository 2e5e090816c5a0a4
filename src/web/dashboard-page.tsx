/** `/`: the dashboard of one env: counts as bars, overdue items with owners, busiest services, trend. */
import type { Child } from "hono/jsx";
import type { Dashboard } from "../domain/dashboard.js";
import { itemsHref, Layout, type PageFrame } from "./layout.js";
import { TrendChart, type TrendWeek } from "./trend-chart.js";

/** A link on the served board; plain text in the self-contained file (it has no pages to go to). */
function MaybeLink({ href, linked, children, ...rest }: { href: string; linked: boolean; children?: Child; class?: string; id?: string }) {
  return linked ? (
    <a href={href} {...rest}>
      {children}
    </a>
  ) : (
    <span {...rest}>{children}</span>
  );
}

function CountTable({ caption, counts, filter, env, linked }: { caption: string; counts: Record<string, number>; filter?: string; env: string; linked: boolean }) {
  const max = Math.max(1, ...Object.values(counts));
  return (
    <table>
      <caption class="skip">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{caption}</th>
          <th scope="col" class="num">
            Items
          </th>
          <th scope="col" class="hide-narrow">
            <span class="skip">Share</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(counts).map(([key, count]) => (
          <tr>
            <th scope="row">{filter ? <MaybeLink linked={linked} href={itemsHref({ env, [filter]: key })}>{key}</MaybeLink> : key}</th>
            <td class="num" data-count={key}>
              {count}
            </td>
            <td class="hide-narrow bar-cell">
              {/* An SVG bar: its width is an attribute, so the strict CSP (no inline style) allows it. */}
              <svg class="bar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true" focusable="false">
                <rect width={Math.round((count / max) * 100)} height="8" />
              </svg>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DashboardPage({ frame, dashboard, weeks }: { frame: PageFrame; dashboard: Dashboard; weeks: readonly TrendWeek[] | null }) {
  const env = dashboard.env;
  const linked = !frame.inlineCss;
  return (
    <Layout frame={frame}>
      <h1>Dashboard: {env}</h1>
      {dashboard.total === 0 ? (
        <p class="empty">
          No items in env {env} yet. Items arrive with <code>backlog generate</code> or <code>backlog create</code>.
        </p>
      ) : null}
      {/* Overdue items and their owners first: what the board is opened for. */}
      <section class="panel" aria-labelledby="h-total">
          <h2 id="h-total">Items</h2>
          <p>
            <span class="big" id="total">
              {dashboard.total}
            </span>{" "}
            in total,{" "}
            <MaybeLink linked={linked} class="overdue-count" href={itemsHref({ env, overdue: "1" })} id="overdue-count">
              {dashboard.overdue_count} overdue
            </MaybeLink>
          </p>
      </section>
      <section aria-labelledby="h-overdue">
        <h2 id="h-overdue">Overdue ({dashboard.overdue_count})</h2>
        {dashboard.overdue.length === 0 ? (
          <p class="empty">Nothing is overdue.</p>
        ) : (
          <div class="table-wrap">
            <table class="overdue">
              <thead>
                <tr>
                  <th scope="col">Priority</th>
                  <th scope="col">Due</th>
                  <th scope="col">Owner</th>
                  <th scope="col">Title</th>
                  <th scope="col" class="hide-narrow">
                    Service
                  </th>
                </tr>
              </thead>
              <tbody>
                {dashboard.overdue.map((item) => (
                  <tr>
                    <td class={`pri-${item.priority}`}>{item.priority}</td>
                    <td>{item.due_date}</td>
                    <td>{item.owner}</td>
                    <td>
                      <MaybeLink linked={linked} href={`/items/${encodeURIComponent(item.id)}`}>
                        {item.title}
                      </MaybeLink>
                    </td>
                    <td class="hide-narrow">{item.service}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {linked && dashboard.overdue_count > dashboard.overdue.length ? (
          <p>
            <a href={itemsHref({ env, overdue: "1" })}>All {dashboard.overdue_count} overdue items</a>
          </p>
        ) : null}
      </section>
      <div class="grid">
        <section class="panel" aria-labelledby="h-status">
          <h2 id="h-status">By status</h2>
          <CountTable caption="Status" counts={dashboard.status_counts} filter="status" env={env} linked={linked} />
        </section>
        <section class="panel" aria-labelledby="h-priority">
          <h2 id="h-priority">By priority</h2>
          <CountTable caption="Priority" counts={dashboard.priority_counts} filter="priority" env={env} linked={linked} />
        </section>
        <section class="panel" aria-labelledby="h-category">
          <h2 id="h-category">By category</h2>
          <CountTable caption="Category" counts={dashboard.category_counts} filter="category" env={env} linked={linked} />
        </section>
      </div>
      <div class="grid">
        <section class="panel" aria-labelledby="h-services">
          <h2 id="h-services">Busiest services</h2>
          {dashboard.top_services.length === 0 ? (
            <p class="empty">No services yet.</p>
          ) : (
            <CountTable
              caption="Service"
              counts={Object.fromEntries(dashboard.top_services.map((s) => [s.service, s.count]))}
              filter="service"
              env={env}
              linked={linked}
            />
          )}
        </section>
        <section class="panel" aria-labelledby="h-trend">
          <h2 id="h-trend">Week over week</h2>
          {weeks === null ? <p class="empty">The weekly report is not available in this build.</p> : <TrendChart weeks={weeks} />}
        </section>
      </div>
    </Layout>
  );
}
