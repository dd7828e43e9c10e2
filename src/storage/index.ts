export * from './storage.js';
export { FileLayout, pieceRange, type FileSegment, type LayoutFile } from './file-layout.js';
export { FsStorage, fsStorageFactory, type FsStorageOptions } from './fs-storage.js';
export { MemoryDisk, MemoryStorage, memoryStorageFactory, type MemoryFaults, type MemoryStorageOptions } from './memory-storage.js';
export { VERIFY_CHUNK, checkExisting, verifyPiece, type CheckOptions } from './piece-verifier.js';
export { loadResume, resumeIsValid, saveResume, type LoadedResume, type ResumeData } from './resume.js';
