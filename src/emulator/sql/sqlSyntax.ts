/**
 * Wording for SQL syntax errors in the style of SQL Server ("Incorrect syntax near 'x'."), with the
 * line and column, and never the parser's list of expected tokens. Any piece of the caller's text
 * a message repeats is clipped, so a 5,000-character name does not come back whole.
 */

const ECHO_LIMIT = 100;

/** At most 100 characters of something the caller typed. */
export function clip(text: string): string {
  return text.length > ECHO_LIMIT ? `${text.slice(0, ECHO_LIMIT)}…` : text;
}

/** "line L, column C" of a character offset (lines split at \n; columns count from 1). */
export function where(sql: string, offset: number): string {
  const before = sql.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return `line ${line}, column ${column}`;
}

// One token: a bracketed or quoted name, a string literal, a word, or one other character.
const TOKEN = /\[[^\]]*\]?|"[^"]*"?|'(?:[^']|'')*'?|[\w@#$]+|\S/gy;

function tokenAt(sql: string, offset: number): string {
  TOKEN.lastIndex = offset;
  return TOKEN.exec(sql)?.[0] ?? '';
}

function lastToken(sql: string): string {
  return sql.match(new RegExp(TOKEN.source, 'g'))?.at(-1) ?? '';
}

/** The offset node-sql-parser's (peggy) SyntaxError reports, if it is one. */
function failureOffset(err: unknown): number | undefined {
  const offset = (err as { location?: { start?: { offset?: unknown } } } | null)?.location?.start?.offset;
  return typeof offset === 'number' ? offset : undefined;
}

/** The message for a query the parser could not read. */
export function syntaxErrorMessage(sql: string, err: unknown): string {
  const failed = failureOffset(err) ?? sql.length;
  const at = failed + (/^\s*/.exec(sql.slice(failed))?.[0].length ?? 0);
  if (at >= sql.length) {
    const end = sql.trimEnd().length;
    const before = lastToken(sql.slice(0, end));
    return before ? `Incorrect syntax near '${clip(before)}': the query ends unexpectedly (${where(sql, end)}).` : 'The SQL query is empty.';
  }
  return `Incorrect syntax near '${clip(tokenAt(sql, at))}' (${where(sql, at)}).`;
}

// Statements T-SQL knows besides SELECT: a query starting with one of them is a statement of
// another kind, not a misspelling.
const OTHER_STATEMENTS = new Set(
  'INSERT UPDATE DELETE MERGE DROP CREATE ALTER TRUNCATE EXEC EXECUTE DECLARE SET GRANT REVOKE DENY USE BEGIN COMMIT ROLLBACK SAVE BACKUP RESTORE DBCC KILL SHUTDOWN PRINT WAITFOR BULK OPEN CLOSE FETCH DEALLOCATE RAISERROR THROW IF WHILE GOTO RETURN REPLACE RENAME CALL SHOW DESCRIBE EXPLAIN LOCK UNLOCK'.split(' '),
);

/**
 * Reads the first word: `'select'` for SELECT or WITH (checked later), `'other'` for another
 * statement, otherwise the message for a query that does not start with a statement at all (the
 * parser would read `SELEC name FROM account` as several variable assignments).
 */
export function firstWord(sql: string): 'select' | 'other' | { message: string } {
  const m = /^(\s*)([A-Za-z_][\w@#$]*)/.exec(sql);
  if (!m) return 'select';
  const word = m[2] ?? '';
  const upper = word.toUpperCase();
  if (upper === 'SELECT' || upper === 'WITH') return 'select';
  if (OTHER_STATEMENTS.has(upper)) return 'other';
  return { message: `Incorrect syntax near '${clip(word)}' (${where(sql, m[1]?.length ?? 0)}).` };
}
