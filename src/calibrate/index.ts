/**
 * `iosim calibrate`: measure this machine with C probes and write a profile
 * that extends a shipped one with the numbers measured here.
 */
export {blockQueueSettings, busyShareLimit, kernelConfigFlags, threadClockExcludesIrq, busyWarning, congestionWarning, calibrate, cpuTicks, otherCpuShare, type CpuTicks, derivedMeasurements, idlePolls, idleSettings, probeSettings, probeSteps, tcpBufferSysctls, unameText, type Calibration, type CalibrateOptions, type CalibrationSettings, type Measurement} from "./calibrate.js";
export {calibratedProfile, type ProfileOverride} from "./calibratedProfile.js";
export {checkPlatform, compileProbes, probeSourcePath, runProbe, type ProbeLine, type ProbeOutput, type ProbeSettings} from "./probes.js";
export {significant, spread, type Spread} from "./spread.js";
export {validate, validationSummary, predictNullSyscall, predictCopy, predictPingPongTwoCpus, predictUringEnter, relativeBand, pointsBand, type Band, type ValidationRow} from "./validate.js";
export {validationStudy, readCalibrationFile, type ValidationParams} from "./validationStudy.js";
export {fitLoopback, loopbackFitBytes, predictTcp, type LoopbackFit, type TcpPrediction} from "./loopback.js";
export {fitFileRead, predictRead, readaheadFoliosOf, readSampleBytes, defaultReadaheadBytes, type FileReadFit, type ReadMode} from "./fileRead.js";
