import {test} from "node:test";
import assert from "node:assert/strict";
import {FdTable} from "../../src/net/FdTable.js";

test("FdTable: descriptors up to RLIMIT_NOFILE − 1, then EMFILE (counted), lowest free number first", () => {
  const fds = new FdTable(6, 4); // 0..3 open (stdio + listener): 4 and 5 remain
  assert.equal(fds.allocate(), 4);
  assert.equal(fds.allocate(), 5);
  assert.equal(fds.allocate(), -1);
  assert.equal(fds.allocate(), -1);
  assert.equal(fds.emfileErrors, 2);
  assert.equal(fds.open, 6);
  fds.close(4);
  fds.close(2);
  assert.equal(fds.allocate(), 2, "the lowest free number");
  assert.equal(fds.allocate(), 4);
  assert.equal(fds.allocate(), -1);
  assert.equal(fds.peakOpen, 6);
});

test("FdTable: the default soft limit is 1024 (INR_OPEN_CUR) and 1021 descriptors fit after stdio", () => {
  const fds = new FdTable();
  assert.equal(fds.limit, 1024);
  let n = 0;
  while (fds.allocate() >= 0) n++;
  assert.equal(n, 1021);
});
