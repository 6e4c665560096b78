/**
 * The per-attempt request timeout, without a fiber per attempt.
 *
 * `Effect.timeout` forks the attempt and a sleeping fiber for every call. Both live as long as
 * the request, so under concurrency they are promoted to the old generation and the garbage
 * collector pays for them: it was the largest single cost of a call (BENCHMARKS.md). Here one
 * fiber per client layer watches every attempt in flight instead:
 *
 * - an attempt runs its request in a `Scope` of its own (`HttpClient.withScope`: closing the
 *   scope aborts the request through its `AbortSignal`, which every platform `HttpClient`
 *   honours) and registers a deadline: one small object pushed on a queue. On the package's own
 *   `UndiciHttpClient` the request hands its abort to the deadline instead (`RequestAbort`), and
 *   needs no `withScope`;
 * - all attempts of a layer have the same timeout, so deadlines are queued in the order they
 *   fall due, and the watcher sleeps until the first one on the `Clock` it was started with
 *   (`TestClock` moves it in tests); an attempt that ends first just marks its entry finished;
 * - when a deadline passes, the watcher marks the entry timed out and aborts its request ({@link
 *   release}), and the attempt fails with the abort, which `call` reports as a `TransportError`
 *   `Timeout`.
 *
 * @internal
 */
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import type { AbortHandle, AbortOwner } from "../../transport/UndiciHttpClient.js"

/**
 * One attempt's deadline; also where the attempt's response status is recorded, and where its
 * request hands its abort (`RequestAbort`).
 */
export interface Deadline extends AbortOwner {
  readonly at: number
  /** The attempt's scope while it runs; `undefined` once it has finished or timed out. */
  scope: Scope.CloseableScope | undefined
  timedOut: boolean
  /**
   * The status of the attempt's response, when there was one: the derived client's decoding
   * errors do not carry it, and `call` needs it to name the error.
   */
  status: number | undefined
  /**
   * The request that got that response: where the error mapping finds the call's secrets, to
   * redact them from anything the server echoed.
   */
  request: HttpClientRequest.HttpClientRequest | undefined
  /** The abort of the attempt's request, on a transport that hands it over (`RequestAbort`). */
  abort: AbortHandle | undefined
}

/**
 * What {@link release} leaves as a deadline's `abort`: a request that hands its abort over after
 * the release (its sending was delayed past the deadline; a caller's client retried an aborted
 * request) is aborted at once, as `withScope` aborts a request made in a closed scope.
 */
const released: AbortHandle = { abort: () => {} }

/**
 * Aborts an attempt's request: through its handle, and by closing its scope (`withScope`).
 * Either does nothing once the request has ended. A request of the attempt that hands its abort
 * over afterwards is aborted then.
 */
export const release = (deadline: Deadline, scope: Scope.CloseableScope): Effect.Effect<void> =>
  Effect.suspend(() => {
    const abort = deadline.abort
    deadline.abort = released
    abort?.abort()
    return Scope.close(scope, Exit.void)
  })

/**
 * The aborts of more than one request of an attempt (a caller's client retried, or followed a
 * redirect): one closure per request, each holding the one before.
 */
class Aborts implements AbortHandle {
  constructor(readonly earlier: AbortHandle, readonly handle: AbortHandle) {}
  readonly abort = (): void => {
    this.earlier.abort()
    this.handle.abort()
  }
}

/**
 * The attempt has succeeded: drops its request's abort (it would live on in the queue). When the
 * attempt sent more than one request, each is aborted first: a request that has ended ignores it,
 * and one the caller's client left behind (a retried answer whose body it never read, which may
 * never end) would otherwise keep its connection open after the call. A lone request is left as
 * it is, as `withScope` leaves it (the scope of a successful attempt is not closed): its answer
 * was the attempt's, and aborting it would cost undici an error per call.
 */
export const settled = (deadline: Deadline): void => {
  const abort = deadline.abort
  deadline.abort = undefined
  if (abort instanceof Aborts) abort.abort()
}

/**
 * Takes a request's abort. Each request of the attempt is aborted by {@link release} (a caller's
 * client may send more than one: a retry, a redirect), and one handed over after it at once.
 */
function onRequest(this: Deadline, handle: AbortHandle): void {
  const previous = this.abort
  if (previous === released) handle.abort()
  else if (previous === undefined) this.abort = handle
  else this.abort = new Aborts(previous, handle)
}

export interface Deadlines {
  /** Registers an attempt that runs in `scope`. */
  readonly start: (scope: Scope.CloseableScope) => Deadline
  /** The attempt has ended: whether its deadline passed first. */
  readonly finish: (deadline: Deadline) => boolean
  /** The watcher: runs until interrupted (forked in the client layer's scope). */
  readonly watch: Effect.Effect<never>
}

/** Compact the queue once this many finished entries sit at its head. */
const compactAfter = 1024

export const make = (clock: Clock.Clock, timeout: Duration.Duration): Deadlines => {
  const timeoutMillis = Duration.toMillis(timeout)
  let queue: Array<Deadline> = []
  let head = 0
  let wake: (() => void) | undefined

  const start = (scope: Scope.CloseableScope): Deadline => {
    const deadline: Deadline = {
      at: clock.unsafeCurrentTimeMillis() + timeoutMillis,
      scope,
      timedOut: false,
      status: undefined,
      request: undefined,
      abort: undefined,
      onRequest
    }
    queue.push(deadline)
    if (wake !== undefined) {
      const resume = wake
      wake = undefined
      resume()
    }
    return deadline
  }

  const finish = (deadline: Deadline): boolean => {
    deadline.scope = undefined
    return deadline.timedOut
  }

  const idle = Effect.async<void>((resume) => {
    wake = () => resume(Effect.void)
  })

  const step: Effect.Effect<void> = Effect.suspend(() => {
    while (head < queue.length && queue[head]!.scope === undefined) head++
    if (head === queue.length) {
      queue = []
      head = 0
      return idle
    }
    if (head >= compactAfter) {
      queue = queue.slice(head)
      head = 0
    }
    const first = queue[head]!
    const wait = first.at - clock.unsafeCurrentTimeMillis()
    if (wait > 0) return clock.sleep(Duration.millis(wait))
    head++
    const scope = first.scope!
    first.scope = undefined
    first.timedOut = true
    return release(first, scope)
  })

  return { start, finish, watch: Effect.forever(step) }
}
