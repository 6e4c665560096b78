#!/usr/bin/env node
/**
 * The `glowmarkt` executable. An import runs in a heap-capped child node (see heapCap.ts); every
 * other command runs here.
 *
 * @since 0.1.0
 */
import * as HeapCap from "./heapCap.js"

const cap = HeapCap.capFor(process.argv.slice(2), process.execArgv, process.env)
if (cap === undefined) {
  await import("./start.js")
} else {
  HeapCap.relaunch(cap)
}
