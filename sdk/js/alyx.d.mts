// Types for alyx.mjs (picked up by TypeScript, Deno and editors).

export interface AuthContext {
  id: string
  email?: string
  role?: string
  verified?: boolean
  metadata?: Record<string, unknown>
}

export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void
  info(message: string, data?: Record<string, unknown>): void
  warn(message: string, data?: Record<string, unknown>): void
  error(message: string, data?: Record<string, unknown>): void
}

export interface Context {
  readonly requestId: string
  readonly functionName: string
  readonly auth: AuthContext | null
  readonly env: Record<string, string>
  readonly alyxUrl: string
  readonly internalToken: string
  /** Epoch milliseconds after which the runtime kills the function. */
  readonly deadlineMs: number
  readonly log: Logger
}

export declare class AlyxError extends Error {
  constructor(code: string, message: string, details?: Record<string, unknown>)
  readonly code: string
  readonly details?: Record<string, unknown>
}

export declare const FUNCTION_ERROR: 'FUNCTION_ERROR'

export declare function handler<In = any, Out = unknown>(fn: (input: In, ctx: Context) => Out | Promise<Out>): Promise<void>
