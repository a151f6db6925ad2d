/**
 * io_uring: submission and completion rings shared with the kernel, the
 * Proactor's interface on Linux (completed I/O as a stream).
 */
export {IoUring, maxRingEntries, type Sqe, type Cqe, type CompletionPath, type IoUringCounters, type IoUringOptions} from "./IoUring.js";
