/**
 * Parameter schemas: a parameter list declared once (a scenario's
 * {@link ParamSpec}s, or a study's zod object built with {@link fields}),
 * from which come parsing, defaults, messages, listings and JSON Schema.
 */
export {
  paramSchema,
  paramsSchema,
  paramSpecSchema,
  checkParamSpecs,
  parseParam,
  parseParams,
  paramDefaults,
  describeParams,
  paramsJsonSchema,
  expectedOf,
  paramRegistry,
  type ParamSpec,
  type ParamValue,
  type ParamValues,
  type ParamsSchema,
  type ParamMeta,
} from "./ParamSpec.js";
export {fields} from "./fields.js";
export {parseInput, inputErrorOf, keysAt, type ParseInputOptions} from "./parseInput.js";
/** zod itself, so a user's own study builds its schema with the same zod iosim uses (`import {z, fields} from "iosim/params"`). */
export {z} from "zod";
