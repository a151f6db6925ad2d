/** `iosim/transfer`: the file-transfer strategies as RxJS operators, and nginx's per-size policy. */
export {readWrite} from "./readWrite.js";
export {mmapWrite, mmapMappings, faultAroundBytes, tlbSinglePageFlushCeiling, type MmapMapping, type MmapWriteOptions} from "./mmapWrite.js";
export {sendfile, type SendfileOptions} from "./sendfile.js";
export {directAio, aioContext, AioContext, type AioEvent, type DirectAioOptions} from "./directAio.js";
export {nginxPolicy, nginxServe, parseDirectio, choosePath, type NginxPolicyOptions, type PolicyPath, type PolicyTransfer} from "./policy.js";
export type {FileRequest, Transfer, TransferOptions} from "./internal/transferCore.js";
export {linkKinds, receiverWindowBytes, loopbackMtuBytes, type LinkKind, type LinkOptions} from "./internal/socketPath.js";
