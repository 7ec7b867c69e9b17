import { toolset } from '../defineTool.js';
import { commitFileUpload } from './commitFileUpload.js';
import { fileDownload } from './fileDownload.js';
import { initFileUpload } from './initFileUpload.js';

/** Files and images in file and image columns of the agent's tables: chunked upload, confirmed commit, download. */
export const filesTools = toolset('files', [initFileUpload, commitFileUpload, fileDownload]);
