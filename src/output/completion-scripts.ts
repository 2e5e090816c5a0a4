/**
 * Completion scripts for bash, zsh and fish, written from a CompletionSpec (built from commander's
 * command tree). The shells share one reading of the line: the first word that is neither a flag
 * nor a flag's value is the command; the flag before the cursor, or the position of the argument,
 * says what to offer. Ids, envs and categories are asked of `backlog __complete KIND PREFIX`.
 */

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

/** What a flag's value or an argument completes to. */
export type ValueKind =
  | { words: string[] }
  | { dynamic: "ids" | "envs" | "categories" }
  | { files: "all" | "dirs" }
  | { none: true };

export interface FlagSpec {
  flag: string;
  /** null: a flag without a value. */
  value: ValueKind | null;
  help: string;
}

export interface CompletionSpec {
  globalOptions: FlagSpec[];
  /** Commands, then subcommands named by their path (`token add`), each with its own flags and arguments. */
  commands: Array<{ name: string; help: string; options: FlagSpec[]; args: ValueKind[] }>;
}

/** The commands typed first (not the subcommands). */
const topLevel = (spec: CompletionSpec) => spec.commands.filter((c) => !c.name.includes(" "));
/** The subcommands of the command at `path`, by name. */
const subcommandsOf = (spec: CompletionSpec, path: string) =>
  spec.commands.filter((c) => c.name.startsWith(`${path} `) && !c.name.slice(path.length + 1).includes(" ")).map((c) => c.name.slice(path.length + 1));

/** The global flags whose values `__complete` needs to find the same store and policy. */
export const PASSED_GLOBALS = ["--dir", "--policy", "--backend", "--dsn-file"];

/** A kind as one shell word: `words:a b`, `dynamic:ids`, `files`, `dirs`, `none`. */
function kindWord(kind: ValueKind): string {
  if ("words" in kind) return `words:${kind.words.join(" ")}`;
  if ("dynamic" in kind) return `dynamic:${kind.dynamic}`;
  if ("files" in kind) return kind.files === "dirs" ? "dirs" : "files";
  return "none";
}

/** Only names, flags and enum values go into case patterns: anything else is refused here. */
const SAFE = /^[A-Za-z0-9_.:,=@%+ -]*$/;
function safe(text: string): string {
  if (!SAFE.test(text)) throw new Error(`completion: unexpected character in ${JSON.stringify(text)}`);
  return text;
}

/** A one-line description, single-quoted for a POSIX-like shell. */
const quoted = (text: string) => `'${text.replace(/[\r\n\t]+/g, " ").replace(/'/g, `'\\''`)}'`;

/** `case` bodies shared by bash and zsh: the helpers that answer from the spec. */
function caseFunctions(spec: CompletionSpec): string {
  const commands = topLevel(spec).map((c) => safe(c.name)).join(" ");
  const globalFlags = spec.globalOptions.map((o) => safe(o.flag)).join(" ");
  const optionCases = spec.commands.map((c) => `    "${safe(c.name)}") echo "${c.options.map((o) => safe(o.flag)).join(" ")}" ;;`).join("\n");
  const subcommandCases = spec.commands
    .map((c) => [c.name, subcommandsOf(spec, c.name)] as const)
    .filter(([, subs]) => subs.length > 0)
    .map(([name, subs]) => `    "${safe(name)}") echo "${subs.map(safe).join(" ")}" ;;`)
    .join("\n");
  const kindCases = [
    ...spec.globalOptions.filter((o) => o.value !== null).map((o) => `    " ${safe(o.flag)}") echo "${safe(kindWord(o.value as ValueKind))}" ;;`),
    ...spec.commands.flatMap((c) =>
      c.options.filter((o) => o.value !== null).map((o) => `    "${safe(c.name)} ${safe(o.flag)}") echo "${safe(kindWord(o.value as ValueKind))}" ;;`),
    ),
  ].join("\n");
  const argCases = spec.commands
    .flatMap((c) => c.args.map((kind, n) => `    "${safe(c.name)} ${n}") echo "${safe(kindWord(kind))}" ;;`))
    .join("\n");
  return `_backlog_commands="${commands}"
_backlog_global_flags="${globalFlags}"

# The flags of a command.
_backlog_command_flags() {
  case "$1" in
${optionCases}
  esac
}

# The subcommands of command $1 (\`token\`: add list revoke), if it has any.
_backlog_subcommands() {
  case "$1" in
${subcommandCases}
  esac
}

# What the value of flag $2 of command $1 ("" for a global flag) completes to; nothing for a flag without a value.
_backlog_flag_kind() {
  case "$1 $2" in
${kindCases}
  esac
}

# What positional argument $2 (from 0) of command $1 completes to.
_backlog_arg_kind() {
  case "$1 $2" in
${argCases}
  esac
}

# Reads the words before the cursor into _backlog_cmd, _backlog_argn, _backlog_kind (the kind of the
# value being typed, when the previous word is a flag that takes one) and _backlog_globals.
_backlog_parse() {
  _backlog_cmd=""
  _backlog_argn=0
  _backlog_kind=""
  _backlog_globals=()
  local word kind expecting=""
  for word in "$@"; do
    if [[ -n $expecting ]]; then
      [[ $expecting == global ]] && _backlog_globals+=("$word")
      expecting=""
      continue
    fi
    case "$word" in
      --*=*) ;;
      -*)
        kind=$(_backlog_flag_kind "$_backlog_cmd" "$word")
        [[ -z $kind && -n $_backlog_cmd ]] && kind=$(_backlog_flag_kind "" "$word")
        if [[ -n $kind ]]; then
          expecting=value
          case " ${PASSED_GLOBALS.join(" ")} " in *" $word "*) expecting=global; _backlog_globals+=("$word") ;; esac
        fi
        ;;
      *)
        if [[ -z $_backlog_cmd ]]; then
          _backlog_cmd=$word
        elif [[ $_backlog_argn == 0 && " $(_backlog_subcommands "$_backlog_cmd") " == *" $word "* ]]; then
          # A subcommand: its own flags and arguments from here on.
          _backlog_cmd="$_backlog_cmd $word"
        else
          _backlog_argn=$((_backlog_argn + 1))
        fi
        ;;
    esac
  done
  if [[ -n $expecting ]]; then
    _backlog_kind=$kind
    # A global flag still waiting for its value is dropped from what __complete gets.
    [[ $expecting == global ]] && _backlog_globals=("\${_backlog_globals[@]:0:\${#_backlog_globals[@]}-1}")
  fi
}
`;
}

function bash(spec: CompletionSpec): string {
  return `# bash completion for backlog. Generated by \`backlog completion bash\`: regenerate after an upgrade.
# Install: backlog completion bash > ~/.local/share/bash-completion/completions/backlog
# (or source it from ~/.bashrc).

${caseFunctions(spec)}
# Candidates of kind $1 for the prefix $2, one a line; $3... is the program and its global flags.
_backlog_values() {
  local kind=$1 cur=$2
  shift 2
  case "$kind" in
    words:*) compgen -W "\${kind#words:}" -- "$cur" ;;
    files) compgen -f -- "$cur" ;;
    dirs) compgen -d -- "$cur" ;;
    dynamic:*) "$@" __complete "\${kind#dynamic:}" "$cur" 2>/dev/null ;;
  esac
}

_backlog() {
  local cur=\${COMP_WORDS[COMP_CWORD]} kind
  _backlog_parse "\${COMP_WORDS[@]:1:COMP_CWORD-1}"
  local program=("\${COMP_WORDS[0]}" "\${_backlog_globals[@]}")
  if [[ -n $_backlog_kind ]]; then
    kind=$_backlog_kind
  elif [[ $cur == -* ]]; then
    kind="words:$_backlog_global_flags $(_backlog_command_flags "$_backlog_cmd")"
  elif [[ -z $_backlog_cmd ]]; then
    kind="words:$_backlog_commands"
  else
    kind=$(_backlog_arg_kind "$_backlog_cmd" "$_backlog_argn")
  fi
  COMPREPLY=()
  [[ -z $kind || $kind == none ]] && return 0
  local line
  while IFS= read -r line; do [[ -n $line ]] && COMPREPLY+=("$line"); done < <(_backlog_values "$kind" "$cur" "\${program[@]}")
  [[ $kind == files || $kind == dirs ]] && compopt -o filenames 2>/dev/null
  return 0
}

complete -F _backlog backlog
`;
}

function zsh(spec: CompletionSpec): string {
  const described = topLevel(spec).map((c) => quoted(`${c.name}:${c.help.replace(/:/g, "\\:")}`)).join("\n    ");
  return `#compdef backlog
# zsh completion for backlog. Generated by \`backlog completion zsh\`: regenerate after an upgrade.
# Install: backlog completion zsh > "\${fpath[1]}/_backlog" (any directory on $fpath), then compinit.

${caseFunctions(spec)}
_backlog() {
  local cur=\${words[CURRENT]} kind
  _backlog_parse "\${(@)words[2,CURRENT-1]}"
  local -a program=("\${words[1]}" "\${(@)_backlog_globals}")
  if [[ -n $_backlog_kind ]]; then
    kind=$_backlog_kind
  elif [[ $cur == -* ]]; then
    kind="words:$_backlog_global_flags $(_backlog_command_flags "$_backlog_cmd")"
  elif [[ -z $_backlog_cmd ]]; then
    local -a commands=(
    ${described}
    )
    _describe -t commands 'backlog command' commands
    return
  else
    kind=$(_backlog_arg_kind "$_backlog_cmd" "$_backlog_argn")
  fi
  case "$kind" in
    words:*) compadd -- \${=\${kind#words:}} ;;
    files) _files ;;
    dirs) _files -/ ;;
    dynamic:*) compadd -- \${(f)"$("\${(@)program}" __complete "\${kind#dynamic:}" "$cur" 2>/dev/null)"} ;;
  esac
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _backlog "$@"
else
  compdef _backlog backlog
fi
`;
}

const fishQuoted = (text: string) => `'${text.replace(/[\r\n\t]+/g, " ").replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

function fishValues(kind: ValueKind): string {
  if ("words" in kind) return ` -x -a ${fishQuoted(kind.words.join(" "))}`;
  if ("dynamic" in kind) return ` -x -a '(__backlog_complete ${kind.dynamic})'`;
  if ("files" in kind) return kind.files === "dirs" ? " -x -a '(__fish_complete_directories)'" : " -r -F";
  return " -x";
}

function fishFlag(condition: string, option: FlagSpec): string {
  const flag = option.flag.startsWith("--") ? `-l ${safe(option.flag.slice(2))}` : `-s ${safe(option.flag.slice(1))}`;
  return `complete -c backlog -n ${fishQuoted(condition)} ${flag}${option.value === null ? "" : fishValues(option.value)} -d ${fishQuoted(option.help)}`;
}

function fish(spec: CompletionSpec): string {
  const lines = [
    "# fish completion for backlog. Generated by `backlog completion fish`: regenerate after an upgrade.",
    "# Install: backlog completion fish > ~/.config/fish/completions/backlog.fish",
    "",
    "# Ids, envs and categories of the store and policy the line names (--dir, --policy, ...).",
    "function __backlog_complete",
    "    set -l tokens (commandline -opc)",
    "    set -l globals",
    "    set -l i 2",
    "    while test $i -le (count $tokens)",
    `        if contains -- $tokens[$i] ${PASSED_GLOBALS.join(" ")}`,
    "            set globals $globals $tokens[$i] $tokens[(math $i + 1)]",
    "            set i (math $i + 1)",
    "        end",
    "        set i (math $i + 1)",
    "    end",
    "    $tokens[1] $globals __complete $argv[1] (commandline -ct) 2>/dev/null",
    "end",
    "",
    "# How many positional arguments of the command are already on the line.",
    "function __backlog_argn",
    "    set -l tokens (commandline -opc)",
    "    set -l seen 0",
    "    for token in $tokens[2..-1]",
    "        string match -q -- '-*' $token; or set seen (math $seen + 1)",
    "    end",
    "    math $seen - 1",
    "end",
    "",
    "complete -c backlog -f",
    ...topLevel(spec).map((c) => `complete -c backlog -n '__fish_use_subcommand' -a ${safe(c.name)} -d ${fishQuoted(c.help)}`),
    ...spec.globalOptions.map((o) => fishFlag("true", o)),
    ...spec.commands.flatMap((c) => {
      // `token add`: after both words; its arguments come after the subcommand's name.
      const path = c.name.split(" ");
      const seen = path.map((word) => `__fish_seen_subcommand_from ${safe(word)}`).join("; and ");
      const deeper = subcommandsOf(spec, c.name).map((sub) => `__fish_seen_subcommand_from ${safe(sub)}`);
      const here = deeper.length > 0 ? `${seen}; and not ${deeper.join("; and not ")}` : seen;
      return [
        ...c.options.filter((o) => o.flag !== "--help").map((o) => fishFlag(here, o)),
        ...c.args.flatMap((kind, n) => ("none" in kind ? [] : [`complete -c backlog -n ${fishQuoted(`${here}; and test (__backlog_argn) -eq ${n + path.length - 1}`)}${fishValues(kind)}`])),
      ];
    }),
  ];
  return `${lines.join("\n")}\n`;
}

export function completionScript(shell: Shell, spec: CompletionSpec): string {
  return shell === "bash" ? bash(spec) : shell === "zsh" ? zsh(spec) : fish(spec);
}
