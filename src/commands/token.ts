/** `backlog token add|list|revoke`: API tokens for `backlog serve`. */
import { safeInline as sanitize } from "../output/sanitize.js";
import { addToken, listTokens, resolveTokensFile, revokeTokens } from "../service/tokens.js";
import { invalidInput } from "../errors.js";
import { examples, type Register } from "./kit.js";

const noFile = () => invalidInput("no tokens file", "Pass --tokens FILE or set $BACKLOG_TOKENS_FILE (default config/backlog_tokens.json).", "invalid_usage");

export const registerToken: Register = (program, run) => {
  const token = program.command("token").description("manage API tokens for `backlog serve` (only their SHA-256 hashes are stored)");
  token
    .command("add")
    .description("make a new token for ACTOR and print it once, alone on stdout")
    .argument("<actor>", "who the token acts as (its role comes from the policy's RBAC)")
    .option("--tokens <file>", "tokens file (default $BACKLOG_TOKENS_FILE, else config/backlog_tokens.json)")
    .addHelpText("after", examples(["backlog token add scheduler --tokens /etc/backlog/tokens.json"]))
    .action(
      run(async (ctx, [actor], opts) => {
        const file = resolveTokensFile(opts.tokens as string | undefined, ctx.env, ctx.cwd, true)!;
        const value = addToken(file, actor!, ctx.now());
        return { data: { token: value }, raw: `${value}\n`, human: () => "" };
      }),
    );
  token
    .command("list")
    .description("list actors with tokens and when each was made (never a token or hash)")
    .option("--tokens <file>", "tokens file")
    .action(
      run(async (ctx, _args, opts) => {
        const file = resolveTokensFile(opts.tokens as string | undefined, ctx.env, ctx.cwd);
        const rows = file === undefined ? [] : listTokens(file);
        return { data: rows, human: () => rows.map((r) => `${sanitize(r.actor)}\t${sanitize(r.created_at)}\n`).join("") };
      }),
    );
  token
    .command("revoke")
    .description("revoke every token of ACTOR")
    .argument("<actor>")
    .option("--tokens <file>", "tokens file")
    .action(
      run(async (ctx, [actor], opts) => {
        const file = resolveTokensFile(opts.tokens as string | undefined, ctx.env, ctx.cwd);
        if (file === undefined) throw noFile();
        const revoked = revokeTokens(file, actor!);
        return { data: { actor, revoked }, human: () => `revoked ${revoked} token(s) of ${sanitize(actor!)}\n` };
      }),
    );
};
