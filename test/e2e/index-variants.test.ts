/**
 * The index changes no answer: the end-to-end read tests run again here with saved indexes off
 * and every log, however small, indexed by two threads (the settings reach every spawned CLI
 * through cleanEnv). Their own files run them the default way.
 */
process.env.BACKLOG_INDEX_CACHE = "off";
process.env.BACKLOG_INDEX_PARALLEL_BYTES = "1";

await import("./commands.test.js");
await import("./generation.test.js");
await import("./tool.test.js");
