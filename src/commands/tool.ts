/**
 * `backlog tool '<json>'`: reads one request of the reference backlog_tool's protocol and prints the
 * JSON result; parsing, identity and dispatch live in src/service/tool-protocol.ts.
 */
import { jsonArrayStream } from "../output/formats.js";
import { badToolRequest, executeTool, listInPages, parseToolRequest, TOOL_ACTIONS, toolActionSignatures } from "../service/tool-protocol.js";
import { readJsonInput } from "./write.js";
import { examples, type Register } from "./kit.js";

/** Items printed at a time by the list action (see PAGE_SIZE in read.ts). */
const TOOL_PAGE = 50;

export const registerTool: Register = (program, run) => {
  program
    .command("tool")
    .description(`run one action of the backlog_tool protocol (${TOOL_ACTIONS.join(", ")}); prints its JSON result`)
    .argument("[request]", "the request as JSON, or - to read it from stdin")
    .addHelpText("after", `\nActions and their parameters (name? is optional):\n${toolActionSignatures().map(({ action, params }) => `  ${action.padEnd(22)}${params.join(", ")}`).join("\n")}\n`)
    .addHelpText(
      "after",
      examples([
        `backlog tool '{"action":"create","item":{"service":"gateway","category":"security","title":"Rotate keys"}}'`,
        `backlog tool '{"action":"set_status","id":"bl_0123456789ab","status":"in_progress","actor":"oncall"}'`,
        `echo '{"action":"auto_generate_weekly","env":"prod","actor":"scheduler"}' | backlog tool -`,
      ]),
    )
    .action(
      run(async (ctx, [request]) => {
        if (request === undefined) throw badToolRequest("missing: pass the request as an argument, or - to read it from stdin");
        let raw: unknown;
        if (request === "-") raw = readJsonInput("-", ctx.cwd, "tool request");
        else {
          try {
            raw = JSON.parse(request);
          } catch (error) {
            throw badToolRequest(`not valid JSON: ${(error as Error).message}`);
          }
        }
        const caller = { service: ctx.service, policy: ctx.policy, actorExplicit: ctx.actorExplicit, cwd: ctx.cwd, env: ctx.env };
        const parsed = parseToolRequest(raw);
        if (parsed.action === "list") {
          // The same text as the whole array printed at once, written a page at a time as it is read.
          return { data: null, human: () => "", stream: jsonArrayStream((page) => listInPages(caller, parsed.params, TOOL_PAGE, page)) };
        }
        const data = await executeTool(caller, parsed);
        return { data, raw: `${JSON.stringify(data, null, 2)}\n`, human: () => "" };
      }, { jsonErrors: true }),
    );
};
