/**
 * The control method registry: each method has a zod params schema and a
 * handler. Later features register their methods here (login.*, agent, send…).
 */
import type { z } from 'zod';
import { WagateError } from '../errors.js';

export interface MethodContext {
  /** Send an event frame to the calling client only (streams: agent). */
  emit(event: string, payload: unknown): void;
  /** Resolves/aborts when the calling client goes away. */
  signal: AbortSignal;
}

export interface MethodDef<S extends z.ZodType = z.ZodType> {
  params: S;
  /** One line for `wagate` help and the README's protocol table. */
  description: string;
  handler(params: z.infer<S>, ctx: MethodContext): unknown | Promise<unknown>;
}

export class MethodRegistry {
  private readonly methods = new Map<string, MethodDef>();

  register<S extends z.ZodType>(name: string, def: MethodDef<S>): void {
    if (this.methods.has(name)) throw new Error(`control method ${name} registered twice`);
    this.methods.set(name, def as unknown as MethodDef);
  }

  names(): string[] {
    return [...this.methods.keys()].sort();
  }

  describe(): { method: string; description: string }[] {
    return this.names().map((m) => ({ method: m, description: this.methods.get(m)!.description }));
  }

  async call(name: string, rawParams: unknown, ctx: MethodContext): Promise<unknown> {
    const def = this.methods.get(name);
    if (!def) {
      throw new WagateError('WAGATE_ERR_UNKNOWN_METHOD', `Unknown method "${name}"; known: ${this.names().join(', ')}.`);
    }
    const parsed = def.params.safeParse(rawParams ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? `params.${issue.path.join('.')}` : 'params';
      throw new WagateError('WAGATE_ERR_BAD_REQUEST', `Invalid params for ${name}: ${where}: ${issue?.message ?? 'invalid'}.`);
    }
    return def.handler(parsed.data, ctx);
  }
}
