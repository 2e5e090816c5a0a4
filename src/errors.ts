/** Exit codes of SPEC section 4. Only src/cli.ts turns them into a process exit status. */
export const ExitCode = {
  ok: 0,
  unexpected: 1,
  invalid: 2,
  notFound: 3,
  conflict: 4,
  permissionDenied: 5,
  storageUnavailable: 6,
  gateFailed: 10,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * The one error type of the program: a snake_case `code` for scripts, the exit code, a message that
 * says what went wrong, and a hint that names the fix.
 */
export class BacklogError extends Error {
  constructor(
    readonly code: string,
    readonly exitCode: ExitCodeValue,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "BacklogError";
  }
}

export const invalidInput = (message: string, hint?: string, code = "invalid_input") =>
  new BacklogError(code, ExitCode.invalid, message, hint);

export const notFound = (message: string, hint?: string, code = "not_found") =>
  new BacklogError(code, ExitCode.notFound, message, hint);

export const conflict = (code: string, message: string, hint?: string) =>
  new BacklogError(code, ExitCode.conflict, message, hint);

export const storageUnavailable = (message: string, hint?: string, code = "storage_unavailable") =>
  new BacklogError(code, ExitCode.storageUnavailable, message, hint);

/** Formats zod-style issues as `path: message` lines, the form every validation error uses. */
export function formatIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string[] {
  return issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(root)" : out;
}
