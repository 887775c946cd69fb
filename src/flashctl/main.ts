#!/usr/bin/env node
import { text } from 'node:stream/consumers';
import { runFlashctl } from './cli.js';

process.exitCode = await runFlashctl(process.argv.slice(2), {
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  env: process.env,
  readStdin: () => (process.stdin.isTTY ? Promise.resolve('') : text(process.stdin)),
});
