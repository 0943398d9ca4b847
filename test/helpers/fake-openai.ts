/**
 * A fake OpenAI-compatible chat-completions server for tests: a real HTTP server
 * on 127.0.0.1 (port 0) that streams SSE chunks, or answers with an HTTP error,
 * or streams slowly. Records every request (headers and JSON body).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOpenAiRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  body: {
    model?: string;
    stream?: boolean;
    messages?: { role: string; content: string; tool_call_id?: string; tool_calls?: unknown[] }[];
    /** Function tools the client declared. */
    tools?: { type: string; function: { name: string; parameters?: unknown } }[];
  };
}

export type FakeOpenAiReply =
  /** Stream these content pieces as SSE, then `[DONE]`. */
  | { kind: 'stream'; chunks: string[]; delayMs?: number; omitDone?: boolean }
  /** Answer with this status and body. */
  | { kind: 'error'; status: number; body: string }
  /** Send headers, then never finish (until the client goes away). */
  | { kind: 'hang' }
  /** Stream these function tool calls (arguments in two fragments each), then `[DONE]`. */
  | { kind: 'tool_calls'; calls: { id: string; name: string; arguments: string }[] };

export interface FakeOpenAi {
  baseUrl: string;
  requests: FakeOpenAiRequest[];
  /** What the next requests get (default: stream "Hello", " world"). */
  reply: FakeOpenAiReply | ((req: FakeOpenAiRequest) => FakeOpenAiReply);
  /** Connections the client closed before the reply ended. */
  clientAborts: number;
  close(): Promise<void>;
}

const sse = (data: string) => `data: ${data}\n\n`;
const chunk = (content: string) => sse(JSON.stringify({ choices: [{ index: 0, delta: { content } }] }));

/** SSE pieces streaming tool calls as OpenAI does: id and name first, arguments in fragments. */
function toolCallPieces(calls: { id: string; name: string; arguments: string }[]): string[] {
  const delta = (tool_calls: unknown[]) => sse(JSON.stringify({ choices: [{ index: 0, delta: { tool_calls } }] }));
  const out: string[] = [];
  calls.forEach((c, index) => {
    const half = Math.floor(c.arguments.length / 2);
    out.push(delta([{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }]));
    out.push(delta([{ index, function: { arguments: c.arguments.slice(0, half) } }]));
    out.push(delta([{ index, function: { arguments: c.arguments.slice(half) } }]));
  });
  out.push(sse(JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] })));
  return out;
}

export async function startFakeOpenAi(): Promise<FakeOpenAi> {
  const timers = new Set<NodeJS.Timeout>();
  const fake: FakeOpenAi = {
    baseUrl: '',
    requests: [],
    reply: { kind: 'stream', chunks: ['Hello', ' world'] },
    clientAborts: 0,
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      let body: FakeOpenAiRequest['body'] = {};
      try {
        body = JSON.parse(Buffer.concat(parts).toString('utf8')) as FakeOpenAiRequest['body'];
      } catch {
        body = {};
      }
      const record: FakeOpenAiRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        authorization: req.headers.authorization,
        body,
      };
      fake.requests.push(record);
      const reply = typeof fake.reply === 'function' ? fake.reply(record) : fake.reply;
      res.on('close', () => {
        if (!res.writableEnded) fake.clientAborts += 1;
      });
      if (reply.kind === 'error') {
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(reply.body);
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': keep-alive\n\n');
      if (reply.kind === 'hang') return;
      const pieces =
        reply.kind === 'tool_calls'
          ? [sse(JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant' } }] })), ...toolCallPieces(reply.calls), sse('[DONE]')]
          : [
              sse(JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant' } }] })),
              ...reply.chunks.map(chunk),
              ...(reply.omitDone ? [] : [sse('[DONE]')]),
            ];
      const delay = reply.kind === 'tool_calls' ? 0 : (reply.delayMs ?? 0);
      const next = (i: number) => {
        if (res.destroyed) return;
        if (i >= pieces.length) return void res.end();
        res.write(pieces[i]);
        if (delay === 0) return next(i + 1);
        const t = setTimeout(() => {
          timers.delete(t);
          next(i + 1);
        }, delay);
        timers.add(t);
      };
      next(0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.baseUrl = `http://127.0.0.1:${port}/v1`;
  fake.close = async () => {
    for (const t of timers) clearTimeout(t);
    timers.clear();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return fake;
}
