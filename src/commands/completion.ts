/**
 * `backlog completion bash|zsh|fish`: a completion script generated from commander's command tree
 * (commands, their flags, which flags take a value), so completions cannot drift from the CLI.
 * Values that depend on the directory (item ids, the policy's envs and categories) come at
 * completion time from `backlog __complete KIND PREFIX`, which is fast and never fails loudly.
 */
import type { Command, Option } from "commander";
import { EVENT_TYPES, PRIORITIES, SOURCES, STATUSES } from "../domain/item.js";
import { invalidInput } from "../errors.js";
import { COLOR_CHOICES } from "../output/mode.js";
import { completionScript, SHELLS, type CompletionSpec, type ValueKind } from "../output/completion-scripts.js";
import { examples, type Register } from "./kit.js";

/** Values of flags whose choices commander does not know, by `command --flag`, then by `--flag`. */
const FLAG_VALUES: Record<string, ValueKind> = {
  "list --status": { words: [...STATUSES, "all"] },
  "list --format": { words: ["table", "json", "jsonl", "csv", "tsv", "markdown"] },
  "report --format": { words: ["text", "json", "markdown", "html"] },
  "--status": { words: [...STATUSES] },
  "--priority": { words: [...PRIORITIES] },
  "--source": { words: [...SOURCES] },
  "--type": { words: [...EVENT_TYPES] },
  "--color": { words: [...COLOR_CHOICES] },
  "--backend": { words: ["jsonl", "postgres", "memory", "null", "auto"] },
  "--env": { dynamic: "envs" },
  "--category": { dynamic: "categories" },
  "--dir": { files: "dirs" },
  "--digest-dir": { files: "dirs" },
  "--policy": { files: "all" },
  "--dsn-file": { files: "all" },
  "--from-json": { files: "all" },
  "--output": { files: "all" },
  "--digest": { files: "all" },
  "--tokens": { files: "all" },
};

/** Values of positional arguments, by the argument's name. */
const ARGUMENT_VALUES: Record<string, ValueKind> = {
  id: { dynamic: "ids" },
  status: { words: [...STATUSES] },
  shell: { words: [...SHELLS] },
  file: { files: "all" },
};

const takesValue = (option: Option) => option.required || option.optional;

function valueKind(command: string, option: Option): ValueKind {
  if (option.argChoices) return { words: [...option.argChoices] };
  const long = option.long ?? "";
  return FLAG_VALUES[`${command} ${long}`] ?? FLAG_VALUES[long] ?? { none: true };
}

const flagsOf = (option: Option) => [option.long, option.short].filter((f): f is string => f !== undefined);

/**
 * What the scripts complete, read from the command tree as registered: every command, and every
 * subcommand under its path (`token add`), each with its own flags and arguments.
 */
export function completionSpec(program: Command): CompletionSpec {
  const globalValues: CompletionSpec["globalOptions"] = [];
  for (const option of program.options) {
    for (const flag of flagsOf(option)) globalValues.push({ flag, value: takesValue(option) ? valueKind("", option) : null, help: option.description });
  }
  const commands: CompletionSpec["commands"] = [];
  const visit = (command: Command, path: string) => {
    commands.push({
      name: path,
      help: command.description(),
      options: [
        ...command.options.flatMap((option) =>
          flagsOf(option).map((flag) => ({ flag, value: takesValue(option) ? valueKind(path, option) : null, help: option.description })),
        ),
        { flag: "--help", value: null, help: "display help for command" },
      ],
      // A command with subcommands (`token add|list|revoke`) completes their names first.
      args: command.commands.length > 0 ? [{ words: command.commands.map((c) => c.name()) }] : command.registeredArguments.map((a) => ARGUMENT_VALUES[a.name()] ?? { none: true }),
    });
    for (const sub of command.commands) visit(sub, `${path} ${sub.name()}`);
  };
  for (const command of program.commands) visit(command, command.name());
  return { globalOptions: globalValues, commands };
}

export const registerCompletion: Register = (program) => {
  program
    .command("completion")
    .description("print a completion script for bash, zsh or fish (commands, flags, values, item ids)")
    .argument("<shell>", SHELLS.join("|"))
    .addHelpText(
      "after",
      examples([
        "backlog completion bash > ~/.local/share/bash-completion/completions/backlog",
        'backlog completion zsh > "${fpath[1]}/_backlog"',
        "backlog completion fish > ~/.config/fish/completions/backlog.fish",
      ]),
    )
    .action((shell: string, _opts: unknown, command: Command) => {
      if (!(SHELLS as readonly string[]).includes(shell)) {
        throw invalidInput(`<shell> "${shell}": expected one of ${SHELLS.join("|")}`, "Example: backlog completion bash", "invalid_usage");
      }
      // Nothing of the store or policy is read: a script for any directory.
      command.configureOutput().writeOut?.(completionScript(shell as (typeof SHELLS)[number], completionSpec(program)));
    });
};
