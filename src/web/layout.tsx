/** The page frame every board page shares: landmarks, navigation, env switcher, stylesheet. */
import type { Child } from "hono/jsx";
import { raw } from "hono/html";
import { BOARD_CSS } from "./board-css.js";

export interface PageFrame {
  title: string;
  env: string;
  envs: readonly string[];
  /** The current path, for the env switcher (it keeps you on the same page). */
  path: string;
  /** Inline the stylesheet (the self-contained `board --output` file) instead of linking it. */
  inlineCss?: boolean;
  /** No navigation (the sign-in page). */
  bare?: boolean;
}

export const itemsHref = (params: Record<string, string | undefined>): string => {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") query.set(k, v);
  const text = query.toString();
  return text === "" ? "/items" : `/items?${text}`;
};

export function Layout({ frame, children }: { frame: PageFrame; children?: Child }) {
  return (
    <>
      {raw("<!doctype html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${frame.title} · backlog`}</title>
          {/* No favicon request (it would be a 404 in the console). */}
          <link rel="icon" href="data:," />
          {frame.inlineCss ? <style>{raw(BOARD_CSS)}</style> : <link rel="stylesheet" href="/board.css" />}
        </head>
        <body>
          <a class="skip" href="#main">
            Skip to content
          </a>
          <header class="top">
            <span class="brand">backlog</span>
            {frame.bare ? null : frame.inlineCss ? (
              <span class="muted">env {frame.env}</span>
            ) : (
              <>
                <nav aria-label="Board">
                  <ul>
                    <li>
                      <a href={`/?env=${encodeURIComponent(frame.env)}`}>Dashboard</a>
                    </li>
                    <li>
                      <a href={itemsHref({ env: frame.env })}>Items</a>
                    </li>
                  </ul>
                </nav>
                <form class="env" method="get" action={frame.path}>
                  <label>
                    Environment
                    <select name="env">
                      {frame.envs.map((e) => (
                        <option value={e} selected={e === frame.env}>
                          {e}
                        </option>
                      ))}
                    </select>
                  </label>
                  <button type="submit">Switch</button>
                </form>
              </>
            )}
          </header>
          <main id="main">{children}</main>
        </body>
      </html>
    </>
  );
}

export function ErrorPage({ frame, heading, message, hint }: { frame: PageFrame; heading: string; message: string; hint?: string }) {
  return (
    <Layout frame={frame}>
      <h1>{heading}</h1>
      <div class="error" role="alert">
        <p>{message}</p>
        {hint ? <p class="muted">{hint}</p> : null}
        <p>
          <a href="/">Back to the dashboard</a>
        </p>
      </div>
    </Layout>
  );
}
