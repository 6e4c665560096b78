/**
 * Progress of a long run (a bulk import): on a terminal, one bar redrawn in place with `\r`,
 * with the rate and an estimate of the time left; elsewhere (a pipe, a log file, CI), a plain
 * line at each tenth of the way and at the end, so a log stays short and readable.
 *
 * @since 0.1.0
 */

/**
 * Where progress is written: `process.stdout`, or anything with `write` (and `isTTY`).
 *
 * @since 0.1.0
 */
export interface Sink {
  readonly write: (chunk: string) => unknown
  readonly isTTY?: boolean | undefined
  readonly columns?: number | undefined
}

/**
 * What one update says: how many are done out of `total`, and a short tally to show after it
 * (e.g. `created 412 · existing 12 · failed 1`).
 *
 * @since 0.1.0
 */
export interface Update {
  readonly done: number
  readonly tally?: string | undefined
}

/**
 * A progress display.
 *
 * @since 0.1.0
 */
export interface Progress {
  /** Shows the new state (redraws at most every `redrawMillis` on a terminal). */
  readonly update: (update: Update) => void
  /** Shows the final state and ends the line. */
  readonly finish: (update: Update) => void
}

/**
 * Options of {@link make}.
 *
 * @since 0.1.0
 */
export interface Options {
  readonly total: number
  readonly sink: Sink
  /** A label before the bar (default `importing`). */
  readonly label?: string | undefined
  /** The clock, in milliseconds (default `Date.now`). */
  readonly now?: (() => number) | undefined
  /** The shortest time between two redraws on a terminal (default 80 ms). */
  readonly redrawMillis?: number | undefined
}

/**
 * A duration for people: `850ms`, `12.3s`, `4m05s`.
 *
 * @since 0.1.0
 */
export const formatDuration = (millis: number): string => {
  if (!Number.isFinite(millis) || millis < 0) return "?"
  if (millis < 1000) return `${Math.round(millis)}ms`
  if (millis < 60_000) return `${(millis / 1000).toFixed(1)}s`
  const minutes = Math.floor(millis / 60_000)
  const seconds = Math.round((millis % 60_000) / 1000)
  return `${minutes}m${String(seconds).padStart(2, "0")}s`
}

/**
 * The text of one state, without a line ending: `label [####------] 412/1000  41%  230/s  eta 2.6s  tally`.
 *
 * @since 0.1.0
 */
export const render = (options: {
  readonly label: string
  readonly done: number
  readonly total: number
  readonly elapsedMillis: number
  readonly tally?: string | undefined
  readonly width?: number | undefined
  readonly bar: boolean
}): string => {
  const { done, total } = options
  const fraction = total <= 0 ? 1 : Math.min(1, done / total)
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4)
  const seconds = options.elapsedMillis / 1000
  const rate = seconds > 0 ? done / seconds : 0
  const eta = done >= total ? "done" : rate > 0 ? `eta ${formatDuration(((total - done) / rate) * 1000)}` : "eta ?"
  const width = options.width ?? 30
  const filled = Math.round(fraction * width)
  const bar = options.bar ? ` [${"#".repeat(filled)}${"-".repeat(width - filled)}]` : ""
  const count = `${String(done).padStart(String(total).length)}/${total}`
  const tally = options.tally === undefined || options.tally === "" ? "" : `  ${options.tally}`
  return `${options.label}${bar} ${count} ${percent}  ${rate.toFixed(0)}/s  ${eta}${tally}`
}

/**
 * A progress display on `sink`: a bar on a terminal, periodic lines elsewhere.
 *
 * @since 0.1.0
 */
export const make = (options: Options): Progress => {
  const now = options.now ?? Date.now
  const label = options.label ?? "importing"
  const redrawMillis = options.redrawMillis ?? 80
  const tty = options.sink.isTTY === true
  const start = now()
  let lastDraw = Number.NEGATIVE_INFINITY
  let lastTenth = 0
  let lastLength = 0

  const text = (update: Update) =>
    render({ label, done: update.done, total: options.total, elapsedMillis: now() - start, tally: update.tally, bar: tty })

  const draw = (update: Update) => {
    let line = text(update)
    const columns = options.sink.columns
    if (columns !== undefined && columns > 10 && line.length >= columns) line = line.slice(0, columns - 1)
    // Pad over what the previous, possibly longer, line left on screen.
    options.sink.write(`\r${line}${" ".repeat(Math.max(0, lastLength - line.length))}`)
    lastLength = line.length
  }

  return {
    update: (update) => {
      if (tty) {
        const t = now()
        if (t - lastDraw < redrawMillis) return
        lastDraw = t
        draw(update)
        return
      }
      const tenth = options.total <= 0 ? 10 : Math.floor((update.done / options.total) * 10)
      if (tenth > lastTenth && tenth < 10) {
        lastTenth = tenth
        if (update.done > 0) options.sink.write(`${text(update)}\n`)
      }
    },
    finish: (update) => {
      if (tty) {
        draw(update)
        options.sink.write("\n")
      } else {
        options.sink.write(`${text(update)}\n`)
      }
    }
  }
}
