import { describe, expect, it } from 'vitest';

import { DEFAULT_PROFILE, PREDICTIVE_SCORING, tablesFor } from '../../src/emulator/metadata/standardTables.js';
import { DISCOVERY_NEEDS } from '../../src/tools/discovery.js';
import { ALL_TOOLS } from '../../src/tools/index.js';

/** Tool sets every agent may list (core) or only test agents serve (conformance): never filtered. */
const UNFILTERED = new Set(['core', 'conformance']);

/** Write tools whose every privilege depends on an argument (or is a named privilege of no table), so their entry is empty. */
const ARGUMENT_DEPENDENT: Readonly<Record<string, string>> = {
  create_record: 'the table is an argument',
  update_record: 'the table is an argument',
  delete_record: 'the table is an argument',
  create_table: 'prvCreateEntity / prvCreateAttribute belong to no table',
  update_table: 'prvCreateAttribute belongs to no table',
  delete_table: 'prvDeleteEntity belongs to no table',
  update_entity_record: 'the table is an argument',
  delete_entity_record: 'the table is an argument',
  assign_entity: 'the table is an argument',
  create_records: 'the table is an argument',
  update_records: 'the table is an argument',
  commit_file_upload: 'the table (of the upload session) is an argument',
};

const filtered = ALL_TOOLS.filter((t) => !UNFILTERED.has(t.toolset));
const standardTables = new Set(tablesFor(DEFAULT_PROFILE).map((t) => t.logicalName));

describe('DISCOVERY_NEEDS', () => {
  it('has an entry for every tool outside core and conformance', () => {
    expect(filtered.filter((t) => !(t.name in DISCOVERY_NEEDS)).map((t) => t.name)).toEqual([]);
  });

  it('names only tools that exist, and none of the unfiltered tool sets', () => {
    const names = new Set(filtered.map((t) => t.name));
    expect(Object.keys(DISCOVERY_NEEDS).filter((n) => !names.has(n))).toEqual([]);
  });

  it('names only tables of the standard org, never an optional solution table', () => {
    const tables = Object.values(DISCOVERY_NEEDS).flatMap((needs) => needs.map((n) => n.table));
    expect(tables.filter((t) => !standardTables.has(t))).toEqual([]);
    expect(tables).not.toContain(PREDICTIVE_SCORING.table);
  });

  it('lists each table once per entry, with at least one distinct operation', () => {
    for (const [name, needs] of Object.entries(DISCOVERY_NEEDS)) {
      const tables = needs.map((n) => n.table);
      expect(new Set(tables).size, name).toBe(tables.length);
      for (const need of needs) {
        expect(need.ops.length, `${name} ${need.table}`).toBeGreaterThan(0);
        expect(new Set(need.ops).size, `${name} ${need.table}`).toBe(need.ops.length);
      }
    }
  });

  it('gives every write tool a need unless every need depends on an argument', () => {
    const writes = filtered.filter((t) => t.kind !== 'read');
    expect(writes.filter((t) => DISCOVERY_NEEDS[t.name]?.length === 0 && !(t.name in ARGUMENT_DEPENDENT)).map((t) => t.name)).toEqual([]);
    // The exemptions stay honest: each is a write tool whose entry is in fact empty.
    for (const name of Object.keys(ARGUMENT_DEPENDENT)) {
      expect(writes.map((t) => t.name), name).toContain(name);
      expect(DISCOVERY_NEEDS[name], name).toEqual([]);
    }
  });
});
