/**
 * stdout or stderr as the CLI writes it. When the descriptor is a pipe, a socket (a pipe from a
 * Node parent) or a regular file (never a terminal), text is written with writeSync:
 * process.stdout there is a net.Socket, and creating it loads the net module, about 2 ms at
 * every command. Anything else (a terminal, a device), and a pipe that would block (EAGAIN),
 * goes to the process's own stream, the rest of the output after it, so that the order holds. Errors are emitted as the stream
 * emits them ("error" events), so callers handle both the same way.
 */
import { fstatSync, writeSync } from "node:fs";

type ErrorListener = (error: NodeJS.ErrnoException) => void;

export interface Output {
  write(text: string): unknown;
  on(event: "error", listener: ErrorListener): unknown;
  isTTY?: boolean;
  columns?: number;
}

class FdOutput implements Output {
  readonly isTTY = false;
  readonly columns = undefined;
  private readonly listeners: ErrorListener[] = [];
  private stream: NodeJS.WriteStream | null = null;
  private closed = false;

  constructor(
    private readonly fd: number,
    private readonly streamOf: () => NodeJS.WriteStream,
  ) {}

  on(_event: "error", listener: ErrorListener): this {
    this.listeners.push(listener);
    this.stream?.on("error", listener);
    return this;
  }

  write(text: string): boolean {
    if (this.stream !== null) return this.stream.write(text);
    if (this.closed) return false;
    const bytes = Buffer.from(text);
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(this.fd, bytes, written);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EAGAIN") return this.toStream().write(bytes.subarray(written));
      // As the stream would: after a failed write nothing more is written.
      this.closed = true;
      for (const listener of this.listeners) listener(error as NodeJS.ErrnoException);
      return false;
    }
    return true;
  }

  private toStream(): NodeJS.WriteStream {
    this.stream = this.streamOf();
    for (const listener of this.listeners) this.stream.on("error", listener);
    return this.stream;
  }
}

/** Descriptor `fd` (1 or 2) as an Output: written directly when it is a pipe, a socket or a file. */
export function fdOutput(fd: 1 | 2, streamOf: () => NodeJS.WriteStream): Output {
  let direct = false;
  try {
    const stat = fstatSync(fd);
    direct = stat.isFIFO() || stat.isFile() || stat.isSocket();
  } catch {
    // A closed descriptor: the stream reports it as it always has.
  }
  return direct ? new FdOutput(fd, streamOf) : streamOf();
}
