/**
 * Append-only JSON lines (`chat.jsonl`, `events.jsonl`, `transcript.jsonl`, frame indexes).
 */
import { FileQueue, type QueueOptions } from './queue.js';

/** What a {@link JsonlWriter} did. */
export interface JsonlCounters {
  /** Lines written: accepted, less those later lost to an I/O error. */
  lines: number;
  /** Bytes of those lines. */
  bytes: number;
  /** Lines dropped: queue over its bound, I/O error, closed writer, or a value JSON cannot hold. */
  dropped: number;
  droppedBytes: number;
}

/**
 * `JSON.stringify` replacer for event payloads: errors keep their name, code and message (which
 * `JSON.stringify` would lose), buffers become their length, bigints strings.
 */
export function jsonReplacer(this: unknown, key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error) {
    const { code } = value as { code?: unknown };
    return { name: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  // Buffer.toJSON has already run on `value`; the holder still has the buffer itself.
  const raw = typeof this === 'object' && this !== null ? (this as Record<string, unknown>)[key] : undefined;
  if (Buffer.isBuffer(raw)) return { bytes: raw.length };
  return value;
}

/**
 * Appends one JSON value per line. The file is created (in append mode, keeping earlier lines) on the
 * first write.
 *
 * @remarks Writes go through a bounded queue and never wait; see {@link QueueOptions}.
 */
export class JsonlWriter implements AsyncDisposable {
  private readonly file: FileQueue;
  private lineCount = 0;
  private byteCount = 0;
  private unserializable = 0;

  constructor(
    readonly path: string,
    options: QueueOptions = {},
  ) {
    this.file = new FileQueue(path, 'a', options);
  }

  get counters(): JsonlCounters {
    const { dropped, droppedBytes, lost, lostBytes } = this.file.counters;
    return {
      lines: this.lineCount - lost,
      bytes: this.byteCount - lostBytes,
      dropped: dropped + this.unserializable,
      droppedBytes,
    };
  }

  /** The I/O error that stopped the writer. */
  get error(): Error | undefined {
    return this.file.error;
  }

  /** Queues `value` as one line. Returns false when it was dropped. */
  write(value: unknown): boolean {
    let json: string | undefined;
    try {
      json = JSON.stringify(value, jsonReplacer);
    } catch {
      json = undefined;
    }
    if (json === undefined) {
      this.unserializable++;
      return false;
    }
    const line = Buffer.from(`${json}\n`, 'utf8');
    if (!this.file.write(line)) return false;
    this.lineCount++;
    this.byteCount += line.length;
    return true;
  }

  /** Resolves when every line given so far is written. */
  flush(): Promise<void> {
    return this.file.flush();
  }

  /**
   * Writes what is queued and closes the file. Idempotent.
   *
   * @throws the I/O error that stopped the writer, if any.
   */
  async close(): Promise<JsonlCounters> {
    await this.file.close();
    if (this.file.error !== undefined) throw this.file.error;
    return this.counters;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
