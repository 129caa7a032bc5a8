#!/usr/bin/env node
// The published entry point runs the compiled CLI (npm start builds it when missing).
import '../dist/cli/index.js';
