/** Turns zod issues into the `path: message` lines every validation error of the program uses. */
import type { z } from "zod";
import { formatPath } from "../errors.js";

export function issueLines(error: z.ZodError): string[] {
  const lines: string[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) lines.push(`${formatPath([...issue.path, key])}: unknown key`);
    } else {
      lines.push(`${formatPath(issue.path)}: ${issue.message}`);
    }
  }
  return lines;
}

/** A zod enum whose error reads `expected one of a|b|c`. */
export const expectedOneOf = (values: readonly string[]) => () => `expected one of ${values.join("|")}`;
