/** The built-in `echo` provider (SPEC §6, for tryouts): replies `echo: <text>`. */
import type { AgentProvider, ProviderRunInput, ProviderResult } from './types.js';

export const echoProvider: AgentProvider = {
  name: 'echo',
  async run(input: ProviderRunInput): Promise<ProviderResult> {
    input.signal.throwIfAborted();
    const text = `echo: ${input.envelope.RawBody ?? input.envelope.Body}`;
    input.onDelta?.(text);
    return { text };
  },
};
