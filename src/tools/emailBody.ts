import { parseDocument } from 'htmlparser2';

type DomNode = ReturnType<typeof parseDocument>['children'][number];

/** Elements whose content a reader never sees as text. */
const DROPPED = new Set(['script', 'style', 'head', 'title', 'meta', 'link', 'template', 'noscript']);
/** Elements that start and end a paragraph. */
const BLOCKS = new Set(['p', 'div', 'section', 'article', 'header', 'footer', 'blockquote', 'table', 'tr', 'ul', 'ol', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'hr']);

/**
 * The canonical, plain-text form of an email body: what the confirmation preview shows and what is
 * sent (rendered back with `toHtml`). Nothing a reader could not see survives: comments, scripts
 * and styles are dropped, every link shows its target and every image its source, and text hidden
 * by styling becomes ordinary text. A draft written with tracking pixels or disguised links is
 * therefore sent exactly as the user saw it in the preview, pixels and link targets in plain view.
 */
export function canonicalEmailText(html: string): string {
  const out: string[] = [];
  const push = (text: string) => out.push(text);
  const walk = (nodes: readonly DomNode[], pre: boolean): void => {
    for (const node of nodes) {
      if (node.type === 'text') {
        push(pre ? node.data : node.data.replace(/\s+/g, ' '));
        continue;
      }
      if (node.type !== 'tag' && node.type !== 'script' && node.type !== 'style') continue; // comments, directives, CDATA
      const name = node.name.toLowerCase();
      if (DROPPED.has(name) || node.type !== 'tag') continue;
      if (name === 'br') {
        push('\n');
        continue;
      }
      if (name === 'img') {
        const src = (node.attribs['src'] ?? '').trim();
        const alt = (node.attribs['alt'] ?? '').replace(/\s+/g, ' ').trim();
        push(` [image${alt ? `: ${alt}` : ''}${src ? ` <${src}>` : ''}] `);
        continue;
      }
      const block = BLOCKS.has(name) || name === 'li';
      if (block) push('\n\n');
      if (name === 'li') push('- ');
      if (name === 'a') {
        const href = (node.attribs['href'] ?? '').trim();
        const start = out.length;
        walk(node.children, pre);
        const text = out.splice(start).join('').replace(/\s+/g, ' ').trim();
        push(href && text !== href && text !== href.replace(/^mailto:/i, '') ? `${text}${text ? ' ' : ''}<${href}>` : text || href);
      } else {
        walk(node.children, pre || name === 'pre');
      }
      if (block) push('\n\n');
    }
  };
  walk(parseDocument(html, { decodeEntities: true }).children, false);
  return out
    .join('')
    .split('\n')
    .map((line) => line.replace(/[ \t\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
