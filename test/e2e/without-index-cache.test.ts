/**
 * The saved index changes no answer: the end-to-end read tests run again here with it switched off
 * (BACKLOG_INDEX_CACHE=off reaches every spawned CLI through cleanEnv). Their own files run them
 * with it on, the default.
 */
process.env.BACKLOG_INDEX_CACHE = "off";

await import("./commands.test.js");
await import("./generation.test.js");
await import("./tool.test.js");
