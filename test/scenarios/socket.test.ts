import {test} from "node:test";
import assert from "node:assert/strict";
import {loadProfile} from "../../src/host/profiles.js";
import {resolveParams} from "../../src/scenarios/scenario.js";
import {runSocket, socketScenario} from "../../src/scenarios/socket.js";
import {MiB} from "../../src/units.js";

const profile = loadProfile("server-2024");

test("runSocket({direction: send, tso: off}): ceil(1 MiB / 1448) = 725 segments, one skb each, one copy per byte, none between layers", () => {
  const {result: r} = runSocket({profile, messageBytes: MiB, dataPath: {tso: false, sndbufBytes: 4 * MiB}});
  assert.equal(r.bytesDelivered, MiB);
  assert.equal(r.segments, Math.ceil(MiB / 1448));
  assert.equal(r.superSegments, r.segments);
  assert.equal(r.cpuCopyBytes, MiB);
  assert.equal(r.cpuCopyBytesBetweenLayers, 0);
  assert.equal(r.txInterrupts, r.superSegments, "one TX completion interrupt per DMA");
});

test("runSocket({direction: receive}): NAPI and coalescing cut receive interrupts against one per packet", () => {
  const perPacket = runSocket({profile, messageBytes: MiB, direction: "receive", dataPath: {napi: false}}).result;
  const napi = runSocket({profile, messageBytes: MiB, direction: "receive"}).result;
  assert.equal(perPacket.bytesDelivered, MiB);
  assert.equal(napi.bytesDelivered, MiB);
  assert.equal(perPacket.rxInterrupts, perPacket.segments + perPacket.acksReceived);
  assert.ok(napi.rxInterrupts * 10 < perPacket.rxInterrupts);
  assert.ok(napi.superSegments < napi.segments, "GRO handed the protocol fewer skbs than packets");
  assert.equal(napi.cpuCopyBytesBetweenLayers, 0);
});

test("socketScenario's defaults run and the shares of CPU sum to 1", () => {
  const r = socketScenario.run(resolveParams(socketScenario, [["messageBytes", "256KiB"]]), {seed: 0, profile});
  const shares = Object.values(r.cpuShare as Record<string, number>);
  assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 1) < 1e-9);
  assert.equal(r.bytesDelivered, 256 * 1024);
});
