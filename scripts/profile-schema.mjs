// Writes data/profiles/profile.schema.json from the profile's zod schema
// (src/host/profiles.ts), after `npm run build`:
//   npm run build && node scripts/profile-schema.mjs
// test/host/profileSchema.test.ts fails while the committed file differs.
import {writeFileSync} from "node:fs";
import {profileJsonSchemaText, profilesDir} from "../dist/src/host/profiles.js";

const path = `${profilesDir}profile.schema.json`;
writeFileSync(path, profileJsonSchemaText());
console.log(`wrote ${path}`);
