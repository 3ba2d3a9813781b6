import { register } from 'node:module';
import type { WorkspaceHookData } from './workspace-resolve.hooks.js';

/**
 * `node --import <this file>`: when `PICOM_COMPAT_DIR` names a compat
 * workspace, registers the hooks that resolve Nest, rxjs, reflect-metadata and
 * picom there (picom with the condition in `PICOM_COMPAT_CONDITION`). Through
 * `NODE_OPTIONS` it reaches every test process and the node processes they
 * spawn. Without the variable (as when `npm test` runs this file) it does nothing.
 */

const dir = process.env['PICOM_COMPAT_DIR'];
if (dir !== undefined && dir !== '') {
  const data: WorkspaceHookData = {
    dir,
    picomCondition: process.env['PICOM_COMPAT_CONDITION'] === 'require' ? 'require' : 'import',
  };
  register('./workspace-resolve.hooks.js', import.meta.url, { data });
}
