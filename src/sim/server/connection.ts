/**
 * One client WebSocket: Noise handshake, then binary nodes both ways. Frames are
 * processed strictly in order. Server-initiated iqs can await the client's answer.
 */
import { decodeBinaryNode, encodeBinaryNode, type BinaryNode, type KeyPair, type proto } from '@whiskeysockets/baileys';
import type { WebSocket } from 'ws';
import { FrameReader, NoiseServerHandshake, frame, type NoiseTransport } from './noise.js';

export interface ConnectionEvents {
  /** The handshake finished; the client identified itself with `payload`. */
  onHello(conn: SimConnection, payload: proto.ClientPayload): void | Promise<void>;
  /** A stanza from the client (answers to `conn.query` excluded). */
  onNode(conn: SimConnection, node: BinaryNode): void | Promise<void>;
  /** Every stanza that arrived after the handshake, also on a stalled or ended session (which `onNode` never sees). */
  onReceived?(conn: SimConnection, node: BinaryNode): void;
  onClose(conn: SimConnection): void;
  onError(err: unknown, conn: SimConnection): void;
}

interface PendingQuery {
  resolve(node: BinaryNode): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export class SimConnection {
  /** The client's static Noise public key, known after the handshake. */
  clientStatic: Buffer = Buffer.alloc(0);
  /** Phone user part once the connection logged in (or linked), else undefined. */
  user: string | undefined;
  /** While stalled the connection neither sends nor answers anything. */
  stalled = false;
  closed = false;
  private readonly reader = new FrameReader();
  private readonly handshake: NoiseServerHandshake;
  private helloDone = false;
  private transport: NoiseTransport | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly pending = new Map<string, PendingQuery>();
  private endTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ws: WebSocket,
    serverStatic: KeyPair,
    certChain: Uint8Array,
    private readonly events: ConnectionEvents,
  ) {
    this.handshake = new NoiseServerHandshake(serverStatic, certChain);
    ws.on('message', (data: Buffer) => {
      let frames: Buffer[];
      try {
        frames = this.reader.push(Buffer.from(data));
      } catch (err) {
        this.fail(err);
        return;
      }
      for (const f of frames) this.chain = this.chain.then(() => this.onFrame(f)).catch((err) => this.fail(err));
    });
    ws.on('close', () => this.onClosed());
    ws.on('error', (err) => events.onError(err, this));
  }

  private fail(err: unknown): void {
    this.events.onError(err, this);
    this.close();
  }

  private async onFrame(data: Buffer): Promise<void> {
    if (this.closed) return;
    if (!this.helloDone) {
      this.helloDone = true;
      this.ws.send(frame(this.handshake.hello(data)));
      return;
    }
    if (!this.transport) {
      const result = this.handshake.finish(data);
      this.transport = result.transport;
      this.clientStatic = result.clientStatic;
      await this.events.onHello(this, result.payload);
      return;
    }
    const node = await decodeBinaryNode(this.transport.decrypt(data));
    this.events.onReceived?.(this, node);
    if (this.stalled) return;
    const id = node.attrs.id;
    if (node.tag === 'iq' && id && (node.attrs.type === 'result' || node.attrs.type === 'error')) {
      const q = this.pending.get(id);
      if (q) {
        this.pending.delete(id);
        clearTimeout(q.timer);
        q.resolve(node);
        return;
      }
    }
    await this.events.onNode(this, node);
  }

  send(node: BinaryNode): void {
    if (this.closed || this.stalled || !this.transport) return;
    this.ws.send(frame(this.transport.encrypt(encodeBinaryNode(node))));
  }

  /** Sends an iq and resolves with the client's result/error iq for its id. */
  query(node: BinaryNode, timeoutMs = 10_000): Promise<BinaryNode> {
    const id = node.attrs.id;
    if (!id) return Promise.reject(new Error('sim: query without id'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`sim: client did not answer iq ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.send(node);
    });
  }

  /**
   * Sends `node` and lets the client close the socket (as it does on a stream
   * error or failure); closes it after `graceMs` if the client does not.
   */
  end(node: BinaryNode, graceMs = 1000): void {
    this.send(node);
    this.stalled = true;
    if (!this.closed) this.endTimer = setTimeout(() => this.close(), graceMs);
  }

  close(): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close();
    this.onClosed();
  }

  /** Tears the socket down without a close handshake (server shutdown). */
  terminate(): void {
    this.ws.terminate();
    this.onClosed();
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.endTimer);
    for (const q of this.pending.values()) {
      clearTimeout(q.timer);
      q.reject(new Error('sim: connection closed'));
    }
    this.pending.clear();
    this.events.onClose(this);
  }
}
