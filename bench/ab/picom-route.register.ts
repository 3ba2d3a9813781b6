/**
 * Loaded with `node --import` into the child processes of an A/B run's ref
 * side: registers `picom-route.hook.ts` when the environment names the ref's
 * worktree, before any stack module is imported.
 */
import { register } from 'node:module';
import type { PicomRouteData } from './picom-route.hook.js';
import { REF_ROOT_ENV } from './package-side.js';

const root = process.env[REF_ROOT_ENV];
if (root) {
  const data: PicomRouteData = { root };
  register('./picom-route.hook.js', import.meta.url, { data });
}
