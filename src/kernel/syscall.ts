/**
 * System calls: the door between a process and the kernel.
 *
 * Every system call walks through the door twice: user→kernel on entry,
 * kernel→user on return. Each walk is one "context switch" in the seed's
 * sense (a mode switch, not a switch between processes), and each costs the
 * profile's `modeSwitchNs` on a core.
 */
import {wait, type ProcessBody, type Signal} from "../engine/process.js";
import type {Host} from "../host/Host.js";

/**
 * Returns a process body that performs system call *name*: a mode switch in,
 * the kernel's entry work, *body* (the call's own work, in kernel mode), a
 * mode switch out; its result is *body*'s.
 *
 * *body* is a function returning the work's generator, or the generator
 * itself (not started until the entry work is done: a generator runs
 * nothing before its first step); the second saves a closure per call on a
 * hot path.
 *
 * ```ts
 * const n = yield* syscall(host, "read", () => bufferedRead(host, file, 0, 4096));
 * const m = yield* syscall(host, "recv", recvBody(host, sock, 4096, false));
 * ```
 */
export function syscall(host: Host, name: string): ProcessBody<undefined>;
export function syscall<R>(host: Host, name: string, body: (() => ProcessBody<R>) | ProcessBody<R>): ProcessBody<R>;
export function* syscall<R>(host: Host, name: string, body?: (() => ProcessBody<R>) | ProcessBody<R>): ProcessBody<R | undefined> {
  yield host.modeSwitch("user→kernel");
  yield host.syscallEntry(name);
  const result = body === undefined ? undefined : yield* typeof body === "function" ? body() : body;
  yield host.modeSwitch("kernel→user");
  return result;
}

/**
 * Returns a process body that performs a null system call
 * (getppid(2), lmbench's `lat_syscall null`): the two mode switches and
 * nothing else. It takes no descriptor and checks no arguments, so the
 * entry work of {@link syscall} (`cpu.syscallNs`, which `iosim calibrate`
 * measures as a short descriptor call's extra over this one) is not
 * charged; the kernel's minimal entry and exit are in the profile's
 * `modeSwitchNs`, half of this call's round trip.
 */
export function* nullSyscall(host: Host): ProcessBody<void> {
  yield host.modeSwitch("user→kernel");
  yield host.modeSwitch("kernel→user");
}

/**
 * A system call's body that only sleeps until *signal* fires (futex_wait
 * and the like): `syscall(host, "futex", sleepOn(signal))`. Declared once
 * here rather than as a `function*` written inline at each call, whose
 * every evaluation is a new closure with its own prototype (see `spawn`).
 */
export function* sleepOn<T>(signal: Signal<T>): ProcessBody<T> {
  return (yield wait(signal)) as T;
}
