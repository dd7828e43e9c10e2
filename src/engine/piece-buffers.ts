/**
 * Buffers to assemble received pieces in, reused once a piece's verdict is in. Blocks arrive as
 * views into the socket's read chunks: keeping those views until the piece completes holds every
 * chunk past the young generation, and V8 then runs a full mark-compact every few MiB received.
 * Copying each block once into a piece buffer lets the chunks die young; reusing the piece buffers
 * saves the allocation (and the page faults of fresh memory) for each piece.
 */
export class PieceBuffers {
  private readonly free: Buffer[] = [];

  /**
   * @param pieceLength the size pooled; other sizes (the last piece) are allocated and dropped
   * @param maxFreeBytes free buffers kept for reuse, at most
   */
  constructor(
    private readonly pieceLength: number,
    private readonly maxFreeBytes: number,
  ) {}

  /** A buffer of `size` bytes with unspecified contents. */
  take(size: number): Buffer {
    if (size === this.pieceLength) {
      const reused = this.free.pop();
      if (reused) return reused;
    }
    return Buffer.allocUnsafeSlow(size);
  }

  /** Gives a buffer from take() back; nothing may use it afterwards. */
  give(buffer: Buffer): void {
    if (buffer.length !== this.pieceLength || (this.free.length + 1) * this.pieceLength > this.maxFreeBytes) return;
    this.free.push(buffer);
  }

  get freeCount(): number {
    return this.free.length;
  }
}
