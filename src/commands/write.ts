/** Write commands: create, upsert, edit, set-status, close, comment. */
import { jsonDepthExceeds, LIMITS } from "../domain/limits.js";
import { InputTooLarge, readBounded } from "../input/bounded-read.js";
import { resolve } from "node:path";
import * as z from "zod";
import { EVIDENCE_KINDS, type BacklogItem, STATUSES } from "../domain/item.js";
import { expectedOneOf } from "../domain/validation.js";
import { invalidInput } from "../errors.js";
import type { Context } from "../context.js";
import { parseEditChanges } from "../service/edit-input.js";
import { parseItemInput } from "../service/item-input.js";
import type { Style } from "../output/style.js";
import { cell } from "../output/table.js";
import { itemId } from "./read.js";
import { examples, parseArg, type Register } from "./kit.js";

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Reads --from-json FILE (`-` = stdin) as an object. */
export function readJsonInput(file: string, cwd: string, what: string): unknown {
  let text: string;
  try {
    text = readBounded(file === "-" ? 0 : resolve(cwd, file), LIMITS.requestBytes);
  } catch (error) {
    if (error instanceof InputTooLarge) {
      throw invalidInput(`${what} ${file} is ${error.message} (limit: request size)`, "Send a smaller JSON document.", "input_too_large");
    }
    throw invalidInput(`cannot read ${what} ${file}: ${(error as Error).message}`, "Pass a readable JSON file, or - for standard input.");
  }
  if (jsonDepthExceeds(text, LIMITS.jsonDepth)) {
    throw invalidInput(`${what} ${file} is nested deeper than ${LIMITS.jsonDepth} levels (limit: JSON depth)`, "Flatten the JSON; meta may nest at most 32 levels.", "input_too_deep");
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidInput(`${what} ${file} is not valid JSON: ${(error as Error).message}`, "Fix the JSON (check it with `jq . FILE`).");
  }
}

function evidenceFromFlags(pairs: string[], flag = "--evidence"): Record<string, string[]> | undefined {
  if (pairs.length === 0) return undefined;
  const refs: Record<string, string[]> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    const kind = eq === -1 ? "" : pair.slice(0, eq);
    const ref = eq === -1 ? "" : pair.slice(eq + 1);
    if (!(EVIDENCE_KINDS as readonly string[]).includes(kind) || ref === "") {
      throw invalidInput(`${flag} "${pair}": expected kind=ref with kind one of ${EVIDENCE_KINDS.join("|")}`, `Example: ${flag} incidents=INC-7`, "invalid_usage");
    }
    (refs[kind] ??= []).push(ref);
  }
  return refs;
}

/** Flags over --from-json: a flag given on the command line wins over the same field in the file. */
function itemInputFrom(ctx: Context, opts: Record<string, unknown>) {
  const base = opts.fromJson === undefined ? {} : readJsonInput(String(opts.fromJson), ctx.cwd, "--from-json");
  if (base === null || typeof base !== "object" || Array.isArray(base)) {
    throw invalidInput("--from-json must hold one JSON object (an item)", "Example: {\"service\":\"gateway\",\"category\":\"security\",\"title\":\"Rotate keys\"}");
  }
  const flags: Record<string, unknown> = {
    env: opts.env,
    service: opts.service,
    category: opts.category,
    title: opts.title,
    description: opts.description,
    priority: opts.priority,
    owner: opts.owner,
    due_date: opts.due,
    source: opts.source,
    dedupe_key: opts.dedupeKey,
    tags: (opts.tag as string[]).length > 0 ? opts.tag : undefined,
    evidence_refs: evidenceFromFlags(opts.evidence as string[]),
  };
  const merged: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(flags)) if (value !== undefined) merged[key] = value;
  return parseItemInput(merged, ctx.policy, opts.fromJson === undefined ? "flags" : `--from-json ${String(opts.fromJson)}`);
}

/** `edit` flags as a changes object: only the flags given; `--due none` clears the due date. */
function editChangesFrom(opts: Record<string, unknown>) {
  const meta: Record<string, string> = {};
  for (const pair of opts.meta as string[]) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw invalidInput(`--meta "${pair}": expected key=value`, "Example: --meta ticket=OPS-12", "invalid_usage");
    meta[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const flags: Record<string, unknown> = {
    title: opts.title,
    description: opts.description,
    owner: opts.owner,
    priority: opts.priority,
    due_date: opts.due === undefined ? undefined : opts.due === "none" ? null : opts.due,
    add_tags: (opts.addTag as string[]).length > 0 ? opts.addTag : undefined,
    remove_tags: (opts.removeTag as string[]).length > 0 ? opts.removeTag : undefined,
    add_evidence: evidenceFromFlags(opts.evidence as string[]),
    remove_evidence: evidenceFromFlags(opts.removeEvidence as string[], "--remove-evidence"),
    meta: Object.keys(meta).length > 0 ? meta : undefined,
  };
  const changes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flags)) if (value !== undefined) changes[key] = value;
  if (Object.keys(changes).length === 0) {
    throw invalidInput("edit: nothing to change", "Pass at least one of --title, --description, --owner, --priority, --due, --add-tag, --remove-tag, --evidence, --remove-evidence, --meta.", "invalid_usage");
  }
  return parseEditChanges(changes, "flags");
}

const summary = (item: BacklogItem, style: Style) =>
  `${item.id}  ${style.priority(item.priority)}  ${style.status(item.status)}  ${cell(item.title)}\n` +
  `  owner ${cell(item.owner)} · due ${item.due_date || "-"} · ${cell(item.env)}/${cell(item.service)} · key ${cell(item.dedupe_key)}\n`;

const status = z.enum(STATUSES, { error: expectedOneOf(STATUSES) });
const closing = z.enum(["done", "canceled"], { error: expectedOneOf(["done", "canceled"]) });
const message = z.string().trim().min(1, "must not be empty").max(20_000, "must be at most 20000 characters");

export const registerWrite: Register = (program, run) => {
  for (const verb of ["create", "upsert"] as const) {
    program
      .command(verb)
      .description(
        verb === "create"
          ? "create an item; priority and due date default from the category's policy; a taken dedupe key is a conflict (exit 4)"
          : "create, or update by dedupe key: title, description, evidence, tags (union) and meta (merge); keeps status, owner, priority, due date",
      )
      .option("--service <name>", "service name ([a-z0-9][a-z0-9._-]*)")
      .option("--category <category>", "arch_review, refactor, slo_hardening, cleanup_followups, security, or a policy category")
      .option("--title <text>", "title (default: the category's title template)")
      .option("--priority <P0-P3>", "priority (default: the category's)")
      .option("--due <YYYY-MM-DD>", "due date (default: today + the category's due_days; \"\" for none)")
      .option("--owner <owner>", "owner (default: ownership.overrides, else default_owner)")
      .option("--description <text>", "markdown description")
      .option("--source <source>", "risk, pressure, digest or manual", undefined)
      .option("--dedupe-key <key>", "unique key (default manual:<id>)")
      .option("--tag <tag>", "tag (repeatable)", collect, [])
      .option("--evidence <kind=ref>", `evidence reference (repeatable); kind: ${EVIDENCE_KINDS.join(", ")}`, collect, [])
      .option("--env <env>", "environment (default prod)")
      .option("--from-json <file>", "the item as a JSON object (- for stdin); flags override its fields")
      .addHelpText(
        "after",
        examples(
          verb === "create"
            ? [
                'backlog create --service gateway --category security --title "Rotate TLS keys" --evidence incidents=INC-7',
                "echo '{\"service\":\"billing\",\"category\":\"refactor\",\"title\":\"Split ledger\"}' | backlog create --from-json - --json",
              ]
            : ['backlog upsert --service gateway --category security --dedupe-key sec:gateway:tls --title "Rotate TLS keys" --tag q3'],
        ),
      )
      .action(
        run(async (ctx, _args, opts) => {
          const input = itemInputFrom(ctx, opts);
          const result = verb === "create" ? await ctx.service.create(input) : await ctx.service.upsert(input);
          if (result.kept !== undefined) {
            const flags = result.kept.map((field) => (field === "due_date" ? "due date" : field)).join(", ");
            const how = [
              ...(result.kept.some((f) => f !== "status") ? [`\`backlog edit ${result.item.id}\``] : []),
              ...(result.kept.includes("status") ? [`\`backlog set-status ${result.item.id}\` for the status`] : []),
            ];
            ctx.warn(`upsert kept the ${flags} of ${result.item.id} (an existing item keeps them); change ${result.kept.length === 1 ? "it" : "them"} with ${how.join(", ")}`);
          }
          return { data: result, human: (style) => `${result.action === "created" ? "Created" : "Updated"} ${summary(result.item, style)}` };
        }),
      );
  }

  program
    .command("set-status")
    .description("move an item through the workflow; a forbidden transition is refused (exit 4)")
    .argument("<id>", "item id")
    .argument("<status>", STATUSES.join("|"))
    .option("--message <text>", "why (recorded on the event)")
    .addHelpText("after", examples(["backlog set-status bl_0123456789ab in_progress --message \"picked up\"", "backlog set-status bl_0123456789ab blocked --json"]))
    .action(
      run(async (ctx, [id, to], opts) => {
        const text = opts.message === undefined ? undefined : parseArg(message, opts.message, "--message", "set-status");
        const result = await ctx.service.setStatus(parseArg(itemId(), id, "id", "set-status"), parseArg(status, to, "status", "set-status"), text);
        const event = result.event;
        if (event === null) ctx.warn(`${result.item.id} is already ${result.item.status}: nothing written`);
        return { data: result, human: (style) => `${result.item.id}: ${event === null ? "" : `${String(event.meta.from)} → `}${style.status(result.item.status)}\n` };
      }),
    );

  program
    .command("close")
    .description("close an item as done (or canceled), obeying the workflow")
    .argument("<id>", "item id")
    .option("--status <status>", "done or canceled", "done")
    .option("--message <text>", "closing note (recorded on the event)")
    .addHelpText("after", examples(["backlog close bl_0123456789ab --message \"fixed in v2.3\"", "backlog close bl_0123456789ab --status canceled --message duplicate"]))
    .action(
      run(async (ctx, [id], opts) => {
        const text = opts.message === undefined ? undefined : parseArg(message, opts.message, "--message", "close");
        const result = await ctx.service.close(parseArg(itemId(), id, "id", "close"), parseArg(closing, opts.status, "--status", "close"), text);
        if (result.events.length === 0) ctx.warn(`${result.item.id} is already ${result.item.status}: nothing written`);
        return { data: result, human: (style) => `${result.item.id}: closed as ${style.status(result.item.status)}\n` };
      }),
    );

  program
    .command("edit")
    .description("change an item's title, description, owner, priority, due date, tags, evidence or meta (one `edited` event)")
    .argument("<id>", "item id")
    .option("--title <text>", "new title")
    .option("--description <text>", "new markdown description")
    .option("--owner <owner>", "new owner")
    .option("--priority <P0-P3>", "new priority")
    .option("--due <YYYY-MM-DD|none>", "new due date, or none to clear it")
    .option("--add-tag <tag>", "add a tag (repeatable)", collect, [])
    .option("--remove-tag <tag>", "remove a tag (repeatable)", collect, [])
    .option("--evidence <kind=ref>", `add an evidence reference (repeatable); kind: ${EVIDENCE_KINDS.join(", ")}`, collect, [])
    .option("--remove-evidence <kind=ref>", "remove an evidence reference (repeatable)", collect, [])
    .option("--meta <key=value>", "set a meta key (repeatable)", collect, [])
    .addHelpText(
      "after",
      examples(["backlog edit bl_0123456789ab --owner team-edge --priority P1", "backlog edit bl_0123456789ab --due none --add-tag q3 --remove-tag q2 --json"]) +
        "\nStatus changes go through `backlog set-status` / `backlog close`; env, service, category and dedupe key are fixed.\n",
    )
    .action(
      run(async (ctx, [id], opts) => {
        const changes = editChangesFrom(opts);
        const result = await ctx.service.edit(parseArg(itemId(), id, "id", "edit"), changes);
        return {
          data: result,
          human: (style) =>
            result.event === null
              ? `${result.item.id}: nothing changed\n`
              : `Edited ${Object.keys(result.event.meta).join(", ")}: ${summary(result.item, style)}`,
        };
      }),
    );

  program
    .command("comment")
    .description("append a comment to an item's timeline")
    .argument("<id>", "item id")
    .argument("[message]", "the comment (or -m)")
    .option("-m, --message <text>", "the comment, as git commit -m takes it")
    .addHelpText("after", examples(["backlog comment bl_0123456789ab \"waiting for the vendor fix\"", "backlog comment bl_0123456789ab -m \"waiting for the vendor fix\""]))
    .action(
      run(async (ctx, [id, positional], opts) => {
        if ((positional === undefined) === (opts.message === undefined)) {
          throw invalidInput("comment needs its message once: as the argument or with -m", "Example: backlog comment bl_0123456789ab -m \"waiting for the vendor fix\"", "invalid_usage");
        }
        const text = positional ?? String(opts.message);
        const result = await ctx.service.comment(parseArg(itemId(), id, "id", "comment"), parseArg(message, text, "message", "comment"));
        return { data: result, human: () => `${result.event.item_id}: comment ${result.event.id} added\n` };
      }),
    );
};
