/** `iosim/kernel`: kernel code paths over a host: system calls, buffered, direct and device reads. */
export {syscall, nullSyscall, sleepOn} from "./syscall.js";
export {bufferedRead, filemapRead, readCall} from "./bufferedRead.js";
export {pioRead, dmaRead} from "./deviceRead.js";
export {directRead, directSubmit, directBytes, directAlignBytes} from "./directIo.js";
