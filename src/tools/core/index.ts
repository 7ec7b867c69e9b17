import { toolset } from '../defineTool.js';
import { whoami } from './whoami.js';

export const coreTools = toolset('core', [whoami]);
