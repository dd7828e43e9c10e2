/**
 * Bytes of a file for another thread to read itself: `length` bytes at `position` of the open
 * descriptor `fd` (descriptors are process-wide, so a worker thread may read them); without `fd`,
 * `length` zero bytes (a padding file). Whoever hands one out keeps the descriptor open until the
 * reader is done with it.
 */
export type FileExtent = { fd: number; position: number; length: number } | { fd?: undefined; position?: undefined; length: number };
