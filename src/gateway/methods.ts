/**
 * The control method registry: the server side of a method table
 * (control-methods.ts). Each method of the table gets exactly one handler; its
 * params are parsed with the table's schema before the handler sees them, and
 * the handler must answer the table's result type.
 */
import type { z } from 'zod';
import { WagateError } from '../errors.js';
import type { ControlMethodTable, ControlResults, MethodTable } from './control-methods.js';
import { CONTROL_METHODS } from './control-methods.js';

export interface MethodContext {
  /** Send an event frame to the calling client only (streams: agent). */
  emit(event: string, payload: unknown): void;
  /** Resolves/aborts when the calling client goes away. */
  signal: AbortSignal;
}

export type MethodHandler<T extends MethodTable, R extends { [K in keyof T]: unknown }, M extends keyof T> = (
  params: z.output<T[M]['params']>,
  ctx: MethodContext,
) => R[M] | Promise<R[M]>;

/** What the control server needs of a registry, whatever its table. */
export interface MethodDispatcher {
  names(): string[];
  describe(): { method: string; description: string }[];
  call(name: string, rawParams: unknown, ctx: MethodContext): Promise<unknown>;
}

export class MethodRegistry<T extends MethodTable, R extends { [K in keyof T]: unknown }> implements MethodDispatcher {
  private readonly handlers = new Map<string, (params: unknown, ctx: MethodContext) => unknown>();

  constructor(private readonly table: T) {}

  register<M extends keyof T & string>(name: M, handler: MethodHandler<T, R, M>): void {
    if (this.handlers.has(name)) throw new Error(`control method ${name} registered twice`);
    this.handlers.set(name, handler as (params: unknown, ctx: MethodContext) => unknown);
  }

  names(): string[] {
    return [...this.handlers.keys()].sort();
  }

  describe(): { method: string; description: string }[] {
    return this.names().map((m) => ({ method: m, description: this.table[m]!.description }));
  }

  async call(name: string, rawParams: unknown, ctx: MethodContext): Promise<unknown> {
    const handler = this.handlers.get(name);
    const spec = Object.hasOwn(this.table, name) ? this.table[name] : undefined;
    if (!handler || !spec) {
      throw new WagateError('WAGATE_ERR_UNKNOWN_METHOD', `Unknown method "${name}"; known: ${this.names().join(', ')}.`);
    }
    const parsed = spec.params.safeParse(rawParams ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `params.${issue.path.join('.')}` : 'params';
      throw new WagateError('WAGATE_ERR_BAD_REQUEST', `Invalid params for ${name}: ${where}: ${issue?.message ?? 'invalid'}.`);
    }
    return handler(parsed.data, ctx);
  }
}

/** The gateway's registry: the control method table and its result types. */
export type ControlRegistry = MethodRegistry<ControlMethodTable, ControlResults>;

export function createControlRegistry(): ControlRegistry {
  return new MethodRegistry<ControlMethodTable, ControlResults>(CONTROL_METHODS);
}
