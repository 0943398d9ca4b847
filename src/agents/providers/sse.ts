/**
 * Server-sent events from a fetch body, parsed by `eventsource-parser`: yields
 * the `data` of each event (multi-line data joined with "\n"); comments and
 * other fields are ignored. A final event the server did not end with a blank
 * line is still yielded (some OpenAI-compatible servers close right after it).
 */
import { createParser } from 'eventsource-parser';

export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const ready: string[] = [];
  const parser = createParser({ onEvent: (event) => void ready.push(event.data) });
  const decoder = new TextDecoder();
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      // at the end, a blank line dispatches an event left open
      parser.feed(done ? `${decoder.decode()}\n\n` : decoder.decode(value, { stream: true }));
      yield* ready.splice(0);
      if (done) break;
    }
  } finally {
    reader.releaseLock();
    await body.cancel().catch(() => undefined);
  }
}
