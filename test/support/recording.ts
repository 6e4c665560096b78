/**
 * A tracer and a logger that keep everything they are given, so tests can read spans (names,
 * attributes, events) and log lines, and search them for secrets.
 */
import * as Effect from "effect/Effect"
import type * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"

export interface RecordedSpan extends Tracer.Span {
  readonly events: Array<{ name: string; attributes: Record<string, unknown> | undefined }>
  readonly exit: Exit.Exit<unknown, unknown> | undefined
}

export interface Recording {
  readonly spans: Array<RecordedSpan>
  readonly logs: Array<string>
  /** Everything recorded, as one string to search. */
  readonly dump: () => string
  readonly layer: Layer.Layer<never>
}

let ids = 0

export const makeRecording = (): Recording => {
  const spans: Array<RecordedSpan> = []
  const logs: Array<string> = []
  const tracer = Tracer.make({
    span(name, parent, context, links, startTime, kind) {
      const attributes = new Map<string, unknown>()
      const events: RecordedSpan["events"] = []
      const span: RecordedSpan & { status: Tracer.SpanStatus; exit: Exit.Exit<unknown, unknown> | undefined } = {
        _tag: "Span",
        name,
        spanId: `span-${++ids}`,
        traceId: Option.match(parent, { onNone: () => `trace-${ids}`, onSome: (p) => p.traceId }),
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes,
        links: [...links],
        sampled: true,
        kind,
        events,
        exit: undefined,
        end(endTime, exit) {
          span.status = { _tag: "Ended", startTime, endTime, exit }
          span.exit = exit
        },
        attribute(key, value) {
          attributes.set(key, value)
        },
        event(name, _startTime, attributes) {
          events.push({ name, attributes })
        },
        addLinks(more) {
          ;(span.links as Array<Tracer.SpanLink>).push(...more)
        }
      }
      spans.push(span)
      return span
    },
    context: (f) => f()
  })
  // Formats every line as the real loggers would (they redact `Redactable` values, such as
  // headers, with the logging fiber's `Headers.currentRedactedNames`).
  const logger = Logger.make((options) => {
    logs.push(Logger.logfmtLogger.log(options), Logger.jsonLogger.log(options))
  })
  const layer = Layer.mergeAll(
    Layer.setTracer(tracer),
    Logger.replace(Logger.defaultLogger, logger),
    Logger.minimumLogLevel(LogLevel.All)
  )
  const dump = () =>
    [
      ...spans.map((s) =>
        JSON.stringify({
          name: s.name,
          attributes: [...s.attributes].map(([k, v]) => [k, String(v)]),
          events: s.events,
          exit: s.exit === undefined ? undefined : String(s.exit)
        })
      ),
      ...logs
    ].join("\n")
  return { spans, logs, dump, layer }
}

/** Runs an effect with a fresh recording. */
export const recorded = <A, E, R>(self: (recording: Recording) => Effect.Effect<A, E, R>) =>
  Effect.suspend(() => {
    const recording = makeRecording()
    return Effect.provide(self(recording), recording.layer)
  })
