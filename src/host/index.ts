/** `iosim/host`: the simulated machine (cores, DMA, disk, NIC, memory) and its profiles. */
export {Host, type HostOptions, type DmaCompletion, type Interrupt} from "./Host.js";
export {Disk, Nic, diskKinds, type DiskKind, type DiskRequest} from "./devices.js";
export {loadProfile, parseProfile, profileNames, defaultProfileName, type Profile, type DiskProfile} from "./profiles.js";
