import type { AttributeDef, ManyToManyDef, NavProperty, TableDef } from './types.js';
import { isLookupType } from './types.js';

/**
 * One source of truth per table. Navigation properties are derived from lookup targets and
 * many-to-many definitions, so adding a table or column keeps every consumer consistent.
 */
export class MetadataModel {
  private readonly tables = new Map<string, TableDef>();
  private readonly sets = new Map<string, TableDef>();
  private readonly attrs = new Map<string, Map<string, AttributeDef>>();
  private navs = new Map<string, Map<string, NavProperty>>();
  private readonly manyToMany: ManyToManyDef[] = [];
  /** Bumped on every schema change; caches keyed on it stay valid until the model changes. */
  version = 0;

  constructor(tables: readonly TableDef[], manyToMany: readonly ManyToManyDef[]) {
    // Clone: schema changes in one emulator must not leak into another in the same process.
    for (const t of tables) this.index(structuredClone(t));
    this.manyToMany.push(...manyToMany.map((m) => ({ ...m })));
    this.rebuildNavs();
  }

  private index(t: TableDef): void {
    this.tables.set(t.logicalName, t);
    this.sets.set(t.entitySetName, t);
    this.attrs.set(t.logicalName, new Map(t.attributes.map((a) => [a.logicalName, a])));
  }

  private rebuildNavs(): void {
    const navs = new Map<string, Map<string, NavProperty>>();
    for (const t of this.tables.values()) navs.set(t.logicalName, new Map());
    for (const t of this.tables.values()) {
      for (const a of t.attributes) {
        if (!isLookupType(a.type) || !a.targets) continue;
        for (const target of a.targets) {
          if (!this.tables.has(target.table)) continue;
          // Targets sharing a navigation name (ownerid: user or team) make one polymorphic property.
          const existing = navs.get(t.logicalName)?.get(target.nav);
          if (existing?.kind === 'single' && existing.attribute === a.logicalName) {
            existing.targets.push(target.table);
          } else {
            navs.get(t.logicalName)?.set(target.nav, {
              kind: 'single',
              name: target.nav,
              attribute: a.logicalName,
              target: target.table,
              targets: [target.table],
              relationship: target.relationship,
              referencedEntity: target.referencedEntity ?? target.table,
            });
          }
          if (target.collection !== false) {
            navs.get(target.table)?.set(target.relationship, {
              kind: 'collection',
              name: target.relationship,
              target: t.logicalName,
              attribute: a.logicalName,
              relationship: target.relationship,
            });
          }
        }
      }
    }
    for (const m of this.manyToMany) {
      if (!this.tables.has(m.entity1) || !this.tables.has(m.entity2)) continue;
      navs.get(m.entity1)?.set(m.name, {
        kind: 'manyToMany',
        name: m.name,
        target: m.entity2,
        intersect: m.intersect,
        selfColumn: m.entity1Column,
        targetColumn: m.entity2Column,
        relationship: m.name,
      });
      navs.get(m.entity2)?.set(m.name, {
        kind: 'manyToMany',
        name: m.name,
        target: m.entity1,
        intersect: m.intersect,
        selfColumn: m.entity2Column,
        targetColumn: m.entity1Column,
        relationship: m.name,
      });
    }
    this.navs = navs;
    this.version++;
  }

  allTables(): TableDef[] {
    return [...this.tables.values()];
  }

  manyToManyDefs(): readonly ManyToManyDef[] {
    return this.manyToMany;
  }

  table(logicalName: string): TableDef | undefined {
    return this.tables.get(logicalName);
  }

  tableBySet(entitySetName: string): TableDef | undefined {
    return this.sets.get(entitySetName);
  }

  attribute(table: string, logicalName: string): AttributeDef | undefined {
    return this.attrs.get(table)?.get(logicalName);
  }

  primaryId(table: TableDef): AttributeDef {
    const a = this.attribute(table.logicalName, table.primaryIdAttribute);
    if (!a) throw new Error(`table ${table.logicalName} has no primary id`);
    return a;
  }

  nav(table: string, name: string): NavProperty | undefined {
    return this.navs.get(table)?.get(name);
  }

  navsOf(table: string): NavProperty[] {
    return [...(this.navs.get(table)?.values() ?? [])];
  }

  /** The single-valued navigation property for a lookup attribute pointing at a given table. */
  navForLookup(table: string, attribute: string, target: string): string | undefined {
    const a = this.attribute(table, attribute);
    return a?.targets?.find((t) => t.table === target)?.nav;
  }

  /** Lookups anywhere that can point at `table` (for cascades and remove-link on delete). */
  referencesTo(table: string): Array<{ table: TableDef; attribute: AttributeDef; cascadeDelete: boolean }> {
    const out: Array<{ table: TableDef; attribute: AttributeDef; cascadeDelete: boolean }> = [];
    for (const t of this.tables.values()) {
      if (t.readOnly) continue;
      for (const a of t.attributes) {
        const target = a.targets?.find((x) => x.table === table);
        if (target) out.push({ table: t, attribute: a, cascadeDelete: target.cascadeDelete ?? false });
      }
    }
    return out;
  }

  addTable(t: TableDef): void {
    this.index(t);
    this.rebuildNavs();
  }

  removeTable(logicalName: string): void {
    const t = this.tables.get(logicalName);
    if (!t) return;
    const objectid = this.attribute('annotation', 'objectid');
    if (objectid?.targets) objectid.targets = objectid.targets.filter((x) => x.table !== logicalName);
    this.tables.delete(logicalName);
    this.sets.delete(t.entitySetName);
    this.attrs.delete(logicalName);
    this.rebuildNavs();
  }

  /** Tables with HasNotes get a target on annotation.objectid (objectid_<table>, <table>_Annotations). */
  linkNotes(table: string): void {
    const objectid = this.attribute('annotation', 'objectid');
    if (!objectid?.targets || objectid.targets.some((t) => t.table === table)) return;
    objectid.targets.push({ table, nav: `objectid_${table}`, relationship: `${table}_Annotations`, cascadeDelete: true });
    this.rebuildNavs();
  }

  addAttribute(table: string, attribute: AttributeDef): void {
    const t = this.tables.get(table);
    if (!t) throw new Error(`unknown table ${table}`);
    t.attributes.push(attribute);
    this.attrs.get(table)?.set(attribute.logicalName, attribute);
    this.rebuildNavs();
  }

  removeAttribute(table: string, logicalName: string): void {
    const t = this.tables.get(table);
    if (!t) return;
    t.attributes = t.attributes.filter((a) => a.logicalName !== logicalName);
    this.attrs.get(table)?.delete(logicalName);
    this.rebuildNavs();
  }
}
