/**
 * The emulated organisation's Dataverse search configuration: the tables enabled for search and
 * their searchable columns ("Enable tables and columns for search": a table is searched when its
 * SyncToExternalSearchIndex is true, and its searchable columns are those of its Quick Find view,
 * https://learn.microsoft.com/power-apps/developer/data-platform/search/overview). Any other table
 * named in a query is refused.
 *
 * `documentbody` of a note stands for its attachment's text: Dataverse search indexes the content
 * of note attachments ("Search for file content", configure-relevance-search-organization,
 * https://learn.microsoft.com/power-platform/admin/configure-relevance-search-organization). The
 * emulator reads only text formats (text/*, JSON, XML); other files are found by name and note.
 */
export const SEARCH_TABLES: Readonly<Record<string, readonly string[]>> = {
  account: ['name', 'accountnumber', 'emailaddress1', 'telephone1', 'address1_city'],
  contact: ['fullname', 'emailaddress1', 'telephone1', 'jobtitle'],
  lead: ['fullname', 'companyname', 'subject', 'emailaddress1'],
  incident: ['title', 'ticketnumber', 'description'],
  knowledgearticle: ['title', 'content', 'keywords', 'description', 'articlepublicnumber'],
  annotation: ['subject', 'notetext', 'filename', 'documentbody'],
  new_qna: ['new_question', 'new_answer'],
};

/** Attachment types whose text the emulator indexes. */
export function isTextMimeType(mime: unknown): boolean {
  return typeof mime === 'string' && /^(text\/[a-z0-9.+-]+|application\/(json|xml))\s*(;.*)?$/i.test(mime);
}
