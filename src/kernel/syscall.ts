/**
 * System calls: the door between a process and the kernel.
 *
 * Every system call walks through the door twice: user→kernel on entry,
 * kernel→user on return. Each walk is one "context switch" in the seed's
 * sense (a mode switch, not a switch between processes), and each costs the
 * profile's `modeSwitchNs` on a core.
 */
import type {ProcessBody} from "../engine/process.js";
import type {Host} from "../host/Host.js";

/**
 * Returns a process body that performs system call *name*: a mode switch in,
 * the kernel's entry work, *body* (the call's own work, in kernel mode), a
 * mode switch out; its result is *body*'s.
 *
 * ```ts
 * const n = yield* syscall(host, "read", () => bufferedRead(host, file, 0, 4096));
 * ```
 */
export function* syscall<R>(host: Host, name: string, body?: () => ProcessBody<R>): ProcessBody<R | undefined> {
  yield host.modeSwitch("user→kernel");
  yield host.syscallEntry(name);
  const result = body ? yield* body() : undefined;
  yield host.modeSwitch("kernel→user");
  return result;
}
