import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for a chat-completions service (none can be reached from here). `echo` answers as
 * a well-behaved model would: the first facts verbatim, each citing itself (for drafts every fact, and
 * the grounded subject). The other modes misbehave: `invent` states figures the facts do not hold,
 * `junk` is no JSON, `fail` is HTTP 500, `hang` never answers. Every request is recorded.
 */
export type ModelMode = 'echo' | 'invent' | 'junk' | 'fail' | 'hang';

export interface SeenRequest {
  headers: IncomingHttpHeaders;
  body: { model: string; temperature: number; messages: Array<{ role: string; content: string }> };
}

export interface ChatModel {
  url: string;
  mode: ModelMode;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

/** The facts of a request, as the provider numbered them. */
export function factsOf(userMessage: string): Array<{ n: number; text: string }> {
  return JSON.parse(userMessage.slice(userMessage.indexOf('Facts:\n') + 'Facts:\n'.length)) as Array<{ n: number; text: string }>;
}

function reply(mode: ModelMode, userMessage: string): unknown {
  const facts = factsOf(userMessage);
  if (mode === 'invent') return { sentences: [{ text: 'They have a budget of $999,999 for this.', facts: [1] }], subject: 'Hello', paragraphs: [{ text: 'We offer a 40% discount.', facts: [1] }] };
  // A rewrite: the subject is fact 1 and each paragraph a fact of its own; echo them as they are.
  if (/"paragraphs"/.test(userMessage) && facts[0]?.text.startsWith('Subject: ')) {
    return { subject: facts[0].text.slice('Subject: '.length), paragraphs: facts.slice(1).map((f) => ({ text: f.text, facts: [f.n] })) };
  }
  if (/"paragraphs"/.test(userMessage)) {
    const subject = facts.find((f) => f.text.startsWith('Subject of the grounded draft: '))!.text.replace('Subject of the grounded draft: ', '');
    return { subject, paragraphs: facts.filter((f) => !f.text.startsWith('Subject of')).map((f) => ({ text: f.text, facts: [f.n] })) };
  }
  return { sentences: facts.slice(0, 3).map((f) => ({ text: f.text, facts: [f.n] })) };
}

export async function startChatModel(): Promise<ChatModel> {
  const seen: SeenRequest[] = [];
  const model: ChatModel = { url: '', mode: 'echo', seen, close: async () => undefined };
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as SeenRequest['body'];
      seen.push({ headers: req.headers, body });
      if (model.mode === 'hang') return;
      if (model.mode === 'fail') return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"model overloaded"}}');
      const content = model.mode === 'junk' ? 'I cannot help with that.' : `\`\`\`json\n${JSON.stringify(reply(model.mode, body.messages[1]!.content))}\n\`\`\``;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'c1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  model.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/chat/completions`;
  model.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return model;
}
