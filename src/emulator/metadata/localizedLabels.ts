import type { AttributeDef, LocalizedLabels, TableDef } from './types.js';

/**
 * Labels in more than the base language. Dataverse answers formatted values and
 * `UserLocalizedLabel` in the caller's UI language (`usersettings.uilanguageid`) when that language
 * is provisioned, and in the base language (1033) where a label has no translation
 * ("Label.UserLocalizedLabel: the label for the language of the current user",
 * https://learn.microsoft.com/dotnet/api/microsoft.xrm.sdk.label.userlocalizedlabel).
 * The German texts are the emulator's own choice, not copied from a German org.
 */
export const BASE_LANGUAGE = 1033;
export const GERMAN = 1031;

/** German option labels per `table.attribute`, by option value. */
const GERMAN_OPTIONS: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  'lead.statecode': { 0: 'Offen', 1: 'Qualifiziert', 2: 'Disqualifiziert' },
  'lead.statuscode': { 1: 'Neu', 2: 'Kontaktiert', 3: 'Qualifiziert', 4: 'Verloren', 5: 'Kein Kontakt möglich', 6: 'Kein Interesse mehr', 7: 'Storniert' },
  'lead.leadqualitycode': { 1: 'Heiß', 2: 'Warm', 3: 'Kalt' },
  'incident.statecode': { 0: 'Aktiv', 1: 'Gelöst', 2: 'Storniert' },
  'incident.statuscode': {
    1: 'In Bearbeitung',
    2: 'Zurückgestellt',
    3: 'Warten auf Details',
    4: 'Wird recherchiert',
    5: 'Problem gelöst',
    1000: 'Informationen bereitgestellt',
    6: 'Storniert',
    2000: 'Zusammengeführt',
  },
  'incident.prioritycode': { 1: 'Hoch', 2: 'Normal', 3: 'Niedrig' },
  'incident.caseorigincode': { 1: 'Telefon', 2: 'E-Mail', 3: 'Web' },
  'email.statecode': { 0: 'Offen', 1: 'Abgeschlossen', 2: 'Abgebrochen' },
  'email.statuscode': { 1: 'Entwurf', 2: 'Abgeschlossen', 3: 'Gesendet', 4: 'Empfangen', 5: 'Abgebrochen', 6: 'Senden ausstehend', 7: 'Wird gesendet', 8: 'Fehlgeschlagen' },
  'opportunity.statecode': { 0: 'Offen', 1: 'Gewonnen', 2: 'Verloren' },
  'opportunity.statuscode': { 1: 'In Bearbeitung', 2: 'Zurückgestellt', 3: 'Gewonnen', 4: 'Storniert', 5: 'Konkurrenz' },
};

/** State and status labels shared by many tables (Active/Inactive). */
const GERMAN_STATE_WORDS: Readonly<Record<string, string>> = { Active: 'Aktiv', Inactive: 'Inaktiv' };

/** German Yes/No-style labels, keyed by the English pair. */
const GERMAN_BOOLEANS: Readonly<Record<string, { trueLabel: string; falseLabel: string }>> = {
  'Yes|No': { trueLabel: 'Ja', falseLabel: 'Nein' },
  'Outgoing|Incoming': { trueLabel: 'Ausgehend', falseLabel: 'Eingehend' },
  'Do Not Allow|Allow': { trueLabel: 'Nicht zulassen', falseLabel: 'Zulassen' },
  'Disabled|Enabled': { trueLabel: 'Deaktiviert', falseLabel: 'Aktiviert' },
};

function localizeAttribute(table: string, a: AttributeDef): void {
  if (a.options) {
    const map = GERMAN_OPTIONS[`${table}.${a.logicalName}`];
    for (const o of a.options) {
      const de = map?.[o.value] ?? (a.type === 'State' || a.type === 'Status' ? GERMAN_STATE_WORDS[o.label] : undefined);
      if (de !== undefined) o.localized = { ...o.localized, [GERMAN]: de };
    }
  }
  if (a.booleanLabels) {
    const de = GERMAN_BOOLEANS[`${a.booleanLabels.trueLabel}|${a.booleanLabels.falseLabel}`];
    if (de) a.booleanLabels = { ...a.booleanLabels, localized: { ...a.booleanLabels.localized, [GERMAN]: de } };
  }
}

/** Adds the German labels to standard tables (custom tables keep the labels their maker gave). */
export function withGermanLabels<T extends TableDef>(t: T): T {
  for (const a of t.attributes) localizeAttribute(t.logicalName, a);
  return t;
}

/** The label in `language`, or the base-language label when it has no translation. */
export function labelIn(base: string, localized: LocalizedLabels | undefined, language: number): string {
  return (language !== BASE_LANGUAGE ? localized?.[language] : undefined) ?? base;
}
