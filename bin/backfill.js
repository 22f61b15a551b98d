#!/usr/bin/env node
// Entry of the `backfill` command; the TypeScript is compiled to dist/ by `npm install` (prepare).
require('../dist/client/cli.js').runCli();
