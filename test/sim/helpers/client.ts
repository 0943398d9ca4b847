/**
 * A real, unmodified Baileys socket against the simulator, for end-to-end tests.
 * Keeps its auth state in memory across reconnects (a restart with saved creds is
 * just `client.connect()` again), records connection updates, upserts and raw
 * frames, and reconnects after 515 like an application must.
 */
import makeWASocket, {
  Browsers,
  initAuthCreds,
  type AuthenticationCreds,
  type AuthenticationState,
  type BinaryNode,
  type ConnectionState,
  type SignalDataSet,
  type SignalDataTypeMap,
  type SocketConfig,
  type WAMessage,
  type MessageUpsertType,
} from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { routeLibsignalConsole } from '../../../src/whatsapp/libsignal-console.js';

// libsignal prints whole session records (key material) through console; the
// gateway routes them to its logger, and so do these bare clients (to nowhere),
// so test output stays readable and free of key dumps.
routeLibsignalConsole(pino({ level: 'silent' }));

export type WASocket = ReturnType<typeof makeWASocket>;

export interface MemoryAuth {
  state: AuthenticationState;
}

/** An in-memory equivalent of `useMultiFileAuthState`. */
export function memoryAuthState(): MemoryAuth {
  const creds: AuthenticationCreds = initAuthCreds();
  const data = new Map<string, unknown>();
  return {
    state: {
      creds,
      keys: {
        get: async <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
          const out: { [id: string]: SignalDataTypeMap[T] } = {};
          for (const id of ids) {
            const v = data.get(`${type}/${id}`);
            if (v !== undefined) out[id] = v as SignalDataTypeMap[T];
          }
          return out;
        },
        set: async (set: SignalDataSet) => {
          for (const [type, entries] of Object.entries(set)) {
            for (const [id, value] of Object.entries(entries ?? {})) {
              if (value === null || value === undefined) data.delete(`${type}/${id}`);
              else data.set(`${type}/${id}`, value);
            }
          }
        },
      },
    },
  };
}

export interface UpsertEvent {
  type: MessageUpsertType;
  messages: WAMessage[];
}

export interface TestClientOptions {
  /** Extra Baileys socket config (e.g. `keepAliveIntervalMs`, `qrTimeout`). */
  config?: Partial<SocketConfig>;
  /** Reconnect automatically when the server asks for a restart (515). Default true. */
  restartOn515?: boolean;
  /** Share another client's auth state (same creds), e.g. to test 440 replacement. */
  auth?: MemoryAuth;
}

type Waiter<T> = { pred: (v: T) => boolean; resolve: (v: T) => void };

/** A cursor over an ever-growing list: `next(pred)` resolves with the next matching item. */
class Feed<T> {
  readonly items: T[] = [];
  private cursor = 0;
  private waiters: Waiter<T>[] = [];
  push(item: T): void {
    this.items.push(item);
    for (const w of [...this.waiters]) {
      if (w.pred(item)) {
        this.waiters = this.waiters.filter((x) => x !== w);
        this.cursor = this.items.length;
        w.resolve(item);
      }
    }
  }
  /** Later `next` calls only look at items pushed from now on. */
  skip(): void {
    this.cursor = this.items.length;
  }
  next(pred: (v: T) => boolean, timeoutMs: number, what: string): Promise<T> {
    for (let i = this.cursor; i < this.items.length; i++) {
      const item = this.items[i]!;
      if (pred(item)) {
        this.cursor = i + 1;
        return Promise.resolve(item);
      }
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter: Waiter<T> = {
        pred,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
      };
      this.waiters.push(waiter);
    });
  }
}

/** Baileys' close code of a `connection: 'close'` update. */
export function closeCode(update: Partial<ConnectionState>): number | undefined {
  const err = update.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined;
  return err?.output?.statusCode;
}

export class TestClient {
  readonly auth: MemoryAuth;
  readonly updates = new Feed<Partial<ConnectionState>>();
  readonly upserts = new Feed<UpsertEvent>();
  /** Raw stanzas the client received (all sockets). */
  readonly frames = new Feed<BinaryNode>();
  sock: WASocket | undefined;
  private ended = false;

  constructor(
    readonly url: string,
    private readonly opts: TestClientOptions = {},
  ) {
    this.auth = opts.auth ?? memoryAuthState();
  }

  /**
   * Opens a new socket with the current auth state (a restart, when creds exist).
   * Waits (`nextQr`, `waitOpen`, `waitClose`) then only see what happens from here on.
   */
  connect(): WASocket {
    this.updates.skip();
    return this.open();
  }

  private open(): WASocket {
    const sock = makeWASocket({
      waWebSocketUrl: this.url,
      auth: this.auth.state,
      logger: pino({ level: 'silent' }),
      printQRInTerminal: false,
      markOnlineOnConnect: false,
      syncFullHistory: false,
      version: [2, 3000, 1027934701],
      browser: Browsers.ubuntu('Chrome'),
      ...this.opts.config,
    });
    this.sock = sock;
    sock.ws.on('frame', (f: BinaryNode | Uint8Array) => {
      if (!(f instanceof Uint8Array)) this.frames.push(f);
    });
    sock.ev.on('messages.upsert', (u) => this.upserts.push({ type: u.type, messages: u.messages }));
    sock.ev.on('connection.update', (u) => {
      this.updates.push(u);
      if (u.connection === 'close' && closeCode(u) === 515 && this.opts.restartOn515 !== false && !this.ended) {
        if (this.sock === sock) this.open();
      }
    });
    return sock;
  }

  nextQr(timeoutMs = 5000): Promise<string> {
    return this.updates.next((u) => !!u.qr, timeoutMs, 'a QR code').then((u) => u.qr!);
  }

  async waitOpen(timeoutMs = 8000): Promise<void> {
    await this.updates.next((u) => u.connection === 'open', timeoutMs, "connection 'open'");
  }

  /** Resolves with the close code of the next `connection: 'close'`. */
  async waitClose(timeoutMs = 8000): Promise<number | undefined> {
    return closeCode(await this.updates.next((u) => u.connection === 'close', timeoutMs, "connection 'close'"));
  }

  /** Connects, lets `scan` scan the first QR, follows the 515 restart, waits for 'open'. */
  async link(scan: (qr: string) => Promise<unknown>, timeoutMs = 8000): Promise<void> {
    this.connect();
    await scan(await this.nextQr(timeoutMs));
    expectCode(await this.waitClose(timeoutMs), 515);
    await this.waitOpen(timeoutMs);
  }

  /**
   * Ends the current socket (no reconnect) and waits until it is closed. Goes
   * through the socket's 'error' path rather than `sock.end()` alone: Baileys'
   * `end()` drops the 'close' listeners of in-flight queries, whose 60 s timers
   * would then outlive the test; an error rejects them (and clears the timers).
   */
  async end(): Promise<void> {
    this.ended = true;
    const sock = this.sock;
    this.sock = undefined;
    if (!sock || sock.ws.isClosed) return;
    const closed = new Promise<void>((resolve) => {
      sock.ev.on('connection.update', (u) => {
        if (u.connection === 'close') resolve();
      });
    });
    sock.ws.emit('error', new Error('test client ended'));
    await closed;
  }

  /** Allows `connect()` again after `end()`. */
  reopen(): WASocket {
    this.ended = false;
    return this.connect();
  }
}

function expectCode(actual: number | undefined, expected: number): void {
  if (actual !== expected) throw new Error(`expected close code ${expected}, got ${actual}`);
}
