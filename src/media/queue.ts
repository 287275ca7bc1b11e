/**
 * Bounded asynchronous write queues. The media path hands a buffer over and returns at once; the disk is
 * written from a promise chain. A slow disk fills the queue, and past its bound new data is dropped and
 * counted, so memory stays bounded and keep-alive answers never wait for the disk.
 */
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Default bound of one writer's queue, in bytes: about four minutes of 16 kHz mono L16, or six seconds
 * of 25 fps JPG video.
 */
export const DEFAULT_QUEUE_BYTES = 8 * 1024 * 1024;

/**
 * Bound of a frame index's queue (`frames.jsonl`, raw audio indexes), bytes: about 15,000 lines. Its own
 * bound, apart from the frames', so a burst of large frames does not also lose the timestamps of the
 * frames that were kept.
 */
export const INDEX_QUEUE_BYTES = 1024 * 1024;

/** Buffers per `writev` call; below IOV_MAX (1024 on Linux and macOS). */
const MAX_IOV_BUFFERS = 512;

/**
 * How long a queue that was idle waits before it writes, so that the frames of that time go to disk in
 * one `writev`: a 20 ms audio track then costs four writes a second instead of fifty, which at a
 * thousand streams is the difference between a busy thread pool and a quiet one. A process killed
 * mid-stream loses at most this much more than what the WAV header rewrite already risks.
 */
export const WRITE_LINGER_MS = 250;

/** A queue holding this much starts writing at once, linger or not. */
export const WRITE_BATCH_BYTES = 64 * 1024;

/**
 * A byte allowance shared by many queues. Each writer has its own bound; a shared budget also caps the
 * sum, so a stalled disk under a thousand streams cannot take a thousand bounds of memory.
 */
export class MemoryBudget {
  private used = 0;

  /** @param limitBytes - most bytes queued at once across every queue that shares this budget. */
  constructor(readonly limitBytes: number) {}

  /** Bytes currently held by queues. */
  get usedBytes(): number {
    return this.used;
  }

  /** Takes `bytes` from the budget; false (and nothing taken) when that would pass the limit. */
  tryTake(bytes: number): boolean {
    if (this.used + bytes > this.limitBytes) return false;
    this.used += bytes;
    return true;
  }

  /** Gives back bytes taken by {@link MemoryBudget.tryTake}. */
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}

/** Options shared by every media writer. */
export interface QueueOptions {
  /** Most bytes waiting for the disk in this writer; default {@link DEFAULT_QUEUE_BYTES}. */
  maxQueueBytes?: number;
  /** Wait before an idle queue writes, to batch; default {@link WRITE_LINGER_MS}, 0 writes at once. */
  lingerMs?: number;
  /** A budget shared with other writers. */
  budget?: MemoryBudget;
  /**
   * Called once, with the first I/O error. The writer then drops (and counts) everything it is given;
   * the error is also kept in its `error` property.
   */
  onError?: (error: Error) => void;
}

/** What a queue lost. */
export interface DropCounters {
  /** Items dropped: over the bound, or lost to an I/O error. Control steps (0 bytes) are not items. */
  dropped: number;
  droppedBytes: number;
  /**
   * Of `dropped`, items that had been accepted (`push` returned true) and were then lost to the I/O
   * error: a writer subtracts them from what it counted as written.
   */
  lost: number;
  lostBytes: number;
}

function toError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * A queue of items processed in order, in batches, by one async worker, holding at most `maxQueueBytes`
 * of data at once (items queued plus the batch being written).
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private pendingBytes = 0;
  private inflightBytes = 0;
  /** Data items (more than 0 bytes) queued, and in the batch being written. */
  private pendingData = 0;
  private inflightData = 0;
  private running: Promise<void> | undefined;
  /** The linger before the next batch, while items wait for it. */
  private lingering: NodeJS.Timeout | undefined;
  private failure: Error | undefined;
  private droppedItems = 0;
  private droppedByteCount = 0;
  private lostItems = 0;
  private lostByteCount = 0;
  private readonly maxBytes: number;
  private readonly lingerMs: number;
  private readonly budget: MemoryBudget | undefined;
  private readonly onError: ((error: Error) => void) | undefined;

  constructor(
    private readonly worker: (batch: T[]) => Promise<void>,
    options: QueueOptions = {},
  ) {
    this.maxBytes = options.maxQueueBytes ?? DEFAULT_QUEUE_BYTES;
    this.lingerMs = options.lingerMs ?? WRITE_LINGER_MS;
    this.budget = options.budget;
    this.onError = options.onError;
  }

  /** Bytes accepted and not yet written. */
  get queuedBytes(): number {
    return this.pendingBytes + this.inflightBytes;
  }

  /** The I/O error that stopped this queue. */
  get error(): Error | undefined {
    return this.failure;
  }

  get counters(): DropCounters {
    return {
      dropped: this.droppedItems,
      droppedBytes: this.droppedByteCount,
      lost: this.lostItems,
      lostBytes: this.lostByteCount,
    };
  }

  /**
   * Queues `item`, which holds `bytes` of data. Returns false, and counts a drop, when that would pass
   * the bound or the shared budget, or after a failure. Items of 0 bytes (control steps) always fit.
   */
  push(item: T, bytes: number): boolean {
    if (
      this.failure !== undefined ||
      this.queuedBytes + bytes > this.maxBytes ||
      (bytes > 0 && this.budget !== undefined && !this.budget.tryTake(bytes))
    ) {
      this.drop(1, bytes);
      return false;
    }
    this.items.push(item);
    this.pendingBytes += bytes;
    if (bytes > 0) this.pendingData++;
    if (this.running === undefined) this.startSoon();
    return true;
  }

  /** Starts the worker once the linger is over, or at once when the batch is already large. */
  private startSoon(): void {
    if (this.lingerMs <= 0 || this.pendingBytes >= WRITE_BATCH_BYTES) {
      this.start();
      return;
    }
    if (this.lingering !== undefined) return;
    this.lingering = setTimeout(() => this.start(), this.lingerMs);
    this.lingering.unref();
  }

  private start(): void {
    clearTimeout(this.lingering);
    this.lingering = undefined;
    if (this.running !== undefined) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
      // An item pushed after the loop's last look and before this callback found `running` still set
      // and started nothing: without this it would wait for the next push, or be lost at close.
      if (this.items.length > 0 && this.failure === undefined) this.startSoon();
    });
  }

  /** Counts a drop decided by the owner (for example a frame refused before it reached the queue). */
  drop(items: number, bytes: number): void {
    this.droppedItems += items;
    this.droppedByteCount += bytes;
  }

  /** Resolves when everything queued so far (and anything queued meanwhile) has been processed. */
  async drained(): Promise<void> {
    for (;;) {
      // Waiting for the disk is no time to linger.
      if (this.lingering !== undefined) this.start();
      if (this.running === undefined) return;
      await this.running;
    }
  }

  private async run(): Promise<void> {
    while (this.items.length > 0 && this.failure === undefined) {
      const batch = this.items;
      this.items = [];
      this.inflightBytes = this.pendingBytes;
      this.pendingBytes = 0;
      this.inflightData = this.pendingData;
      this.pendingData = 0;
      try {
        await this.worker(batch);
      } catch (err) {
        this.fail(toError(err));
      } finally {
        this.budget?.release(this.inflightBytes);
        this.inflightBytes = 0;
        this.inflightData = 0;
      }
    }
  }

  /** The batch being written may be partly lost: it is counted as dropped, like everything after it. */
  private fail(error: Error): void {
    this.failure = error;
    const lost = this.inflightData + this.pendingData;
    const lostBytes = this.inflightBytes + this.pendingBytes;
    this.drop(lost, lostBytes);
    this.lostItems += lost;
    this.lostByteCount += lostBytes;
    this.budget?.release(this.pendingBytes);
    this.items = [];
    this.pendingBytes = 0;
    this.pendingData = 0;
    try {
      this.onError?.(error);
    } catch {
      // A throwing listener must not turn into an unhandled rejection of the write loop.
    }
  }
}

type FileOp = { buf: Buffer; pos: number | null } | { run: (handle: FileHandle) => Promise<void> };

/** How a {@link FileQueue} opens its file: `a` appends to what is there, `w` starts an empty file. */
export type FileQueueMode = 'a' | 'w';

/**
 * One file written through a {@link BoundedQueue}. The file (and its folder) is created on the first
 * write, so a track that never gets data leaves no file. Consecutive buffers are written with one
 * `writev`, so under load the queue batches by itself.
 */
export class FileQueue {
  private handle: FileHandle | undefined;
  private readonly queue: BoundedQueue<FileOp>;
  private closing: Promise<void> | undefined;
  private written = 0;
  private end = 0;

  constructor(
    readonly path: string,
    private readonly mode: FileQueueMode,
    options: QueueOptions = {},
  ) {
    this.queue = new BoundedQueue((batch) => this.writeBatch(batch), options);
  }

  /** Bytes written by completed writes. */
  get writtenBytes(): number {
    return this.written;
  }

  /** End offset of the furthest completed positional write. */
  get writtenEnd(): number {
    return this.end;
  }

  get queuedBytes(): number {
    return this.queue.queuedBytes;
  }

  get error(): Error | undefined {
    return this.queue.error;
  }

  get counters(): DropCounters {
    return this.queue.counters;
  }

  /** True once {@link FileQueue.close} was called. */
  get closed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * Queues `buf` at byte `pos` (`null`: at the file position, i.e. appended). The buffer is kept, not
   * copied: the caller must not change it afterwards. Returns false when it was dropped.
   */
  write(buf: Buffer, pos: number | null = null): boolean {
    if (this.closing !== undefined) {
      this.queue.drop(1, buf.length);
      return false;
    }
    return this.queue.push({ buf, pos }, buf.length);
  }

  /** Runs `step` in order with the writes (header rewrites, truncation). */
  control(step: (handle: FileHandle) => Promise<void>): boolean {
    if (this.closing !== undefined) return false;
    return this.queue.push({ run: step }, 0);
  }

  /** Counts a drop decided by the owner. */
  drop(items: number, bytes: number): void {
    this.queue.drop(items, bytes);
  }

  /** Resolves when everything queued so far is on disk (written, not fsynced). */
  flush(): Promise<void> {
    return this.queue.drained();
  }

  /** Writes what is queued, then closes the file. Idempotent; never rejects (see `error`). */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    await this.queue.drained();
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close().catch(() => undefined);
  }

  private async fileHandle(): Promise<FileHandle> {
    if (this.handle === undefined) {
      await mkdir(dirname(this.path), { recursive: true });
      this.handle = await open(this.path, this.mode);
    }
    return this.handle;
  }

  private async writeBatch(batch: FileOp[]): Promise<void> {
    const handle = await this.fileHandle();
    let i = 0;
    while (i < batch.length) {
      const op = batch[i++]!;
      if ('run' in op) {
        await op.run(handle);
        continue;
      }
      const bufs = [op.buf];
      const pos = op.pos;
      let bytes = op.buf.length;
      while (i < batch.length && bufs.length < MAX_IOV_BUFFERS) {
        const next = batch[i]!;
        if ('run' in next || (pos === null ? next.pos !== null : next.pos !== pos + bytes)) break;
        bufs.push(next.buf);
        bytes += next.buf.length;
        i++;
      }
      const { bytesWritten } = await handle.writev(bufs, pos ?? undefined);
      if (bytesWritten !== bytes) {
        throw new Error(`short write to ${this.path}: ${bytesWritten} of ${bytes} bytes (disk full?)`);
      }
      this.written += bytes;
      if (pos !== null) this.end = Math.max(this.end, pos + bytes);
    }
  }
}
