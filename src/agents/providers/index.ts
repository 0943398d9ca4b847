/** Model config → provider (SPEC §6). */
import type { ModelConfig } from '../../config/index.js';
import { commandProvider } from './command.js';
import { echoProvider } from './echo.js';
import { openAiProvider } from './openai.js';
import type { AgentProvider } from './types.js';

export interface ProviderOptions {
  env?: NodeJS.ProcessEnv;
  fetch?: typeof fetch;
}

export function createProvider(model: ModelConfig, opts: ProviderOptions = {}): AgentProvider {
  switch (model.provider) {
    case 'echo':
      return echoProvider;
    case 'command':
      return commandProvider(model, { env: opts.env });
    case 'openai':
      return openAiProvider(model, { env: opts.env, fetch: opts.fetch });
  }
}

export * from './types.js';
