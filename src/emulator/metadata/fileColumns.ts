import type { ColumnSpec } from './defineTable.js';
import { col } from './defineTable.js';

/**
 * The sample org's file and image columns. A file column stores one file per row up to its
 * MaxSizeInKB (default 32768, at most 10485760; file-attributes,
 * https://learn.microsoft.com/power-apps/developer/data-platform/file-attributes) and has a
 * read-only `<column>_name` column with the file's name (file-column-data, "File name column",
 * https://learn.microsoft.com/power-apps/developer/data-platform/file-column-data). An image column
 * stores an image up to 30 MB (files-images-overview,
 * https://learn.microsoft.com/power-apps/developer/data-platform/files-images-overview); contacts
 * have the primary image column `entityimage`. Neither is set by a create or an update: the
 * block messages (actions/fileBlocks.ts) upload and download them.
 */
export const FILE_MAX_KB = 10_485_760;
export const IMAGE_MAX_KB = 30_720;

export const ACCOUNT_FILE_COLUMNS: ColumnSpec[] = [
  { logicalName: 'new_contract', schemaName: 'new_Contract', type: 'File', displayName: 'Signed contract', description: 'The signed customer contract (a file column).', requiredLevel: 'None', isCustom: true, maxSizeInKB: 32768, readOnly: false },
  { ...col.text('new_contract_name', 'Signed contract (file name)', 200, { readOnly: true, schemaName: 'new_Contract_Name' }), isCustom: true },
];

export const CONTACT_IMAGE_COLUMNS: ColumnSpec[] = [
  { logicalName: 'entityimage', schemaName: 'EntityImage', type: 'Image', displayName: 'Default Image', description: 'Shows the default image for the record.', requiredLevel: 'None', maxSizeInKB: 10240, readOnly: false },
];
