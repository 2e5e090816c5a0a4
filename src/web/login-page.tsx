/** `/login` and `/logout`: the token as an HttpOnly cookie, for browsers on a server with tokens. */
import { Hono, type Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import { Layout, type PageFrame } from "./layout.js";
import { BOARD_HEADERS } from "./routes.js";

export const TOKEN_COOKIE = "backlog_token";

/** Decides whether a presented token is valid (the app's token file). */
export type TokenCheck = (token: string) => boolean;

function LoginPage({ failed }: { failed: boolean }) {
  const frame: PageFrame = { title: "Sign in", env: "", envs: [], path: "/login", bare: true };
  return (
    <Layout frame={frame}>
      <h1>Sign in</h1>
      {failed ? (
        <p class="error" role="alert">
          That token is not valid. Make one with <code>backlog token add ACTOR</code>.
        </p>
      ) : null}
      <form method="post" action="/login">
        <p>
          <label for="token">Token</label>
          <br />
          <input id="token" name="token" type="password" autocomplete="current-password" required />
        </p>
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}

/** A form post from another site carries its own Origin (or a cross-site Sec-Fetch-Site): refused. */
function sameOrigin(c: Context): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none") return false;
  const origin = c.req.header("origin");
  if (origin === undefined) return site !== undefined;
  return origin === new URL(c.req.url).origin;
}

const isHttps = (c: Context) => new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto")?.split(",")[0]?.trim() === "https";

export function loginRoutes(check: TokenCheck): Hono {
  const app = new Hono();
  app.use("*", async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(BOARD_HEADERS)) c.header(name, value);
    c.header("Cache-Control", "no-store");
  });
  app.get("/login", (c) => c.html(<LoginPage failed={false} />));
  app.post("/login", async (c) => {
    if (!sameOrigin(c)) return c.text("cross-site login refused", 403);
    const type = c.req.header("content-type") ?? "";
    if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) return c.text("expected a form (application/x-www-form-urlencoded)", 415);
    const form = new URLSearchParams(await c.req.text());
    const token = form.get("token") ?? "";
    if (token === "" || !check(token)) return c.html(<LoginPage failed={true} />, 401);
    setCookie(c, TOKEN_COOKIE, token, { httpOnly: true, sameSite: "Strict", path: "/", secure: isHttps(c) });
    return c.redirect("/", 303);
  });
  app.post("/logout", (c) => {
    if (!sameOrigin(c)) return c.text("cross-site logout refused", 403);
    deleteCookie(c, TOKEN_COOKIE, { path: "/", secure: isHttps(c) });
    return c.redirect("/login", 303);
  });
  return app;
}
