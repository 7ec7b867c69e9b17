import type { TokenCredential } from '@azure/identity';

import type { Clock } from '../config/clock.js';
import type { ChatConfig, CopilotConfig } from '../config/config.js';
import type { DataverseClient } from '../dataverse/client.js';
import { TtlCache } from '../dataverse/ttlCache.js';
import type { Logger } from '../telemetry/log.js';
import { type ChatEndpoint, ChatCompletionsProvider } from './chatCompletions.js';
import { type CopilotApi, CopilotApiCatalog, DataverseCopilotProvider } from './dataverseCopilot.js';
import { EmbeddedProvider } from './embedded.js';
import type { CopilotProvider, ProviderKind } from './provider.js';

export interface CopilotServicesOptions {
  config: CopilotConfig;
  clock: Clock;
  /** How long an org's Copilot API definitions are kept (METADATA_CACHE_MINUTES). */
  cacheMs: number;
  /** For tests that observe or fake the chat endpoint. */
  fetch?: typeof fetch;
  /** The identity for COPILOT_CHAT_AUTH=managed-identity; default the managed identity (DefaultAzureCredential without a client id). */
  credential?: TokenCredential;
}

/** One call's needs: Dataverse as the user, the call's deadline, its clock and log. */
export interface CopilotCall {
  kind: ProviderKind;
  dataverse: DataverseClient;
  signal: AbortSignal;
  now(): Date;
  log: Logger;
}

/**
 * Builds the provider of each tool call. What lasts across calls lives here: the org's Copilot API
 * definitions (cached per org, like its metadata) and the chat endpoint's credential.
 */
export class CopilotServices {
  private readonly catalog: CopilotApiCatalog;
  private readonly chat: Omit<ChatEndpoint, 'fetch'> | undefined;

  constructor(private readonly options: CopilotServicesOptions) {
    this.catalog = new CopilotApiCatalog(new TtlCache<ReadonlyMap<string, CopilotApi>>(options.cacheMs, options.clock));
    this.chat = options.config.chat && chatEndpoint(options.config.chat, options.credential, options.clock);
  }

  /** The deployment's provider, for agents that choose none. */
  get defaultKind(): ProviderKind {
    return this.options.config.provider;
  }

  forCall(call: CopilotCall): CopilotProvider {
    const embedded = new EmbeddedProvider(call.now);
    switch (call.kind) {
      case 'embedded':
        return embedded;
      case 'dataverse':
        return new DataverseCopilotProvider(call.dataverse, this.catalog, embedded, call.log);
      case 'chat':
        // The configuration refuses `chat` without an endpoint; this guard keeps the types honest.
        if (!this.chat) return embedded;
        return new ChatCompletionsProvider({ ...this.chat, ...(this.options.fetch && { fetch: this.options.fetch }) }, embedded, call.signal, call.log);
    }
  }
}

function chatEndpoint(config: ChatConfig, given: TokenCredential | undefined, clock: Clock): Omit<ChatEndpoint, 'fetch'> {
  const auth = config.auth;
  if (auth.kind === 'key') {
    const header: Record<string, string> = auth.header === 'api-key' ? { 'api-key': auth.key } : { authorization: `Bearer ${auth.key}` };
    return { url: config.url, model: config.model, timeoutMs: config.timeoutMs, authorize: async () => header };
  }
  let credential: Promise<TokenCredential> | undefined;
  let cached: { token: string; expiresOn: number } | undefined;
  return {
    url: config.url,
    model: config.model,
    timeoutMs: config.timeoutMs,
    async authorize(signal) {
      // Tokens are reused until five minutes before they expire.
      if (!cached || cached.expiresOn - clock() < 5 * 60_000) {
        credential ??= given ? Promise.resolve(given) : managedIdentity(auth.clientId);
        const token = await (await credential).getToken(auth.scope, { abortSignal: signal });
        if (!token) throw new Error('no token for the chat endpoint');
        cached = { token: token.token, expiresOn: token.expiresOnTimestamp };
      }
      return { authorization: `Bearer ${cached.token}` };
    },
  };
}

/** Loaded only when a managed identity is configured. */
async function managedIdentity(clientId: string | undefined): Promise<TokenCredential> {
  const identity = await import('@azure/identity');
  return clientId ? new identity.ManagedIdentityCredential({ clientId }) : new identity.DefaultAzureCredential();
}
